# The e-mail with a visitor's e-tickets (English).
ticket-mail-subject = { $museum }: your tickets, order { $number }
ticket-mail-thanks = Thank you for your order! { $museum } looks forward to your visit.
ticket-mail-order = Order: { $number }
ticket-mail-when = Date and time: { $when }
ticket-mail-count = { $count ->
    [one] { $count } ticket
   *[other] { $count } tickets
}
ticket-mail-total = Total: { $total }
ticket-mail-show-qr = Show the ticket's QR code at the entrance: on your phone or printed.
ticket-mail-attached = The tickets are in the attached PDF file.
ticket-mail-title = Your tickets
ticket-mail-ticket = Ticket { $number }
ticket-mail-qr-alt = QR code of ticket { $number }
