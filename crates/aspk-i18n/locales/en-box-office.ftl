# The box office: selling, the receipt, printing (English).
box-next-slot = Next slot: { $when }
box-payment-parts = cash { $cash }, card { $card }
box-print-not-yet = Not printed yet: press "Print".
box-print-confirmed = Printed.
box-key-clear = clear
box-key-sell = sell
box-email = E-mail to send the tickets to instead of printing (optional)
box-mailed-to = E-tickets sent to { $email }
box-reservation-link = Pay an online reservation
box-reservation-title = Pay a reservation
box-reservation-number = Order number
box-reservation-find = Find
box-reservation-until = reserved until
box-reservation-back = Back to the box office
box-reservation-not-found = There is no reservation with this number
box-reservation-not-payable = This reservation is paid or cancelled already
