# The box office: selling, the receipt, printing (Ukrainian).
box-next-slot = Наступний сеанс: { $when }
box-payment-parts = готівкою { $cash }, карткою { $card }
box-print-not-yet = Ще не надруковано: натисніть «Друкувати».
box-print-confirmed = Надруковано.
box-key-clear = очистити
box-key-sell = продати
box-email = E-mail, щоб надіслати квитки замість друку (необов’язково)
box-mailed-to = Електронні квитки надіслано на { $email }
box-reservation-link = Оплата бронювання з інтернету
box-reservation-title = Оплата бронювання
box-reservation-number = Номер замовлення
box-reservation-find = Знайти
box-reservation-until = заброньовано до
box-reservation-back = До каси
box-reservation-not-found = Бронювання з таким номером немає
box-reservation-not-payable = Це бронювання вже оплачене або скасоване
