# en catalogue: pay
