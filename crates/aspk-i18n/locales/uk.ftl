# Ukrainian (default) interface text.
ticket-title = Квиток
ticket-category = Категорія
ticket-time = Час відвідування
ticket-valid-days = Дійсний
ticket-price = Ціна
ticket-order = Замовлення
ticket-number = Номер квитка
ticket-document = Пред’явіть при вході: { $document }
ticket-footer = Квиток дійсний для одного входу. Не згинайте QR-код.
seats-left = { $count ->
    [one] { $count } місце
    [few] { $count } місця
   *[many] { $count } місць
}
sign-in-title = Вхід для працівників
sign-in-username = Ім’я користувача
sign-in-password = Пароль
sign-in-submit = Увійти
sign-in-failed = Неправильне ім’я або пароль
sign-out = Вийти
nav-box-office = Каса
nav-orders = Замовлення
nav-requests = Звернення
nav-reports = Звіти
nav-status = Стан системи
nav-scan = Сканер
language-switch = English
status-role = Роль вузла
status-ops = Операцій у журналі
status-pending = Очікують відправлення
status-findings = Відкриті розбіжності
status-store = Сховище
status-store-ok = працює
status-store-stalled = запис не вдається, повторюємо
page-coming = Цей розділ з’явиться незабаром. API вже працює: див. /api/openapi.json.
