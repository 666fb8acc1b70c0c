# uk catalogue: pay
