# Messages for errors the server can send (English).
