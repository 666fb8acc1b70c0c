# Reports (Ukrainian).
report-gross = Валові продажі
report-refunds = Повернення
report-col-gross = Валова сума, { $currency }
report-col-refunds = Повернення, { $currency }
report-col-net = Чиста сума, { $currency }
report-col-day = День
report-col-product = Тип квитка
report-col-channel = Канал
report-col-method = Спосіб оплати
report-col-cashier = Касир
report-col-slot = Сеанс (дата і час)
report-total-row = Разом
report-used-refunds = Повернення за вже використані квитки: { $tickets } квитк., { $amount }
report-note-times = Продажі враховано за часом замовлення, повернення — за часом, коли гроші повернули. У звіті зміни (Z) повернення рахується в зміні того, хто його здійснив.
report-note-tables = Квитки — продані й не скасовані. Чиста сума = валова сума − повернення; чисті суми всіх таблиць збігаються.
report-note-methods = Змішана оплата рахує замовлення під кожним способом з його сумою, а квитки такого замовлення — під способом, яким сплачено більшу частину.
report-downloads = Завантажити
report-csv = CSV (крапка з комою)
report-csv-comma = CSV (кома)
report-xlsx = Excel (XLSX, усі таблиці)
report-legend = Умовні позначення
report-reason-other = інша причина
