# Messages for errors the server can send (Ukrainian).
