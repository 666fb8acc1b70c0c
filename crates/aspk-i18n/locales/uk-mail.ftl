# The e-mail with a visitor's e-tickets (Ukrainian).
ticket-mail-subject = { $museum }: ваші квитки, замовлення { $number }
ticket-mail-thanks = Дякуємо за замовлення! { $museum } чекає на вас.
ticket-mail-order = Замовлення: { $number }
ticket-mail-when = Дата і час: { $when }
ticket-mail-count = { $count ->
    [one] { $count } квиток
    [few] { $count } квитки
   *[many] { $count } квитків
}
ticket-mail-total = Сума: { $total }
ticket-mail-show-qr = Покажіть QR-код квитка на вході: з телефона або надрукований.
ticket-mail-attached = Квитки — у вкладеному PDF-файлі.
ticket-mail-title = Ваші квитки
ticket-mail-ticket = Квиток { $number }
ticket-mail-qr-alt = QR-код квитка { $number }
