# Messages for errors the server can send (Ukrainian).

## The state a request met (a conflict, by its code).
conflict-already_cancelled = Це замовлення або квиток уже скасовано
conflict-beyond_key = Квиток діяв би довше, ніж ключ підпису цього вузла: продайте його онлайн або в головній касі
conflict-enrolment_invalid = Код підключення невідомий, уже використаний або застарів
conflict-key_not_published = Ключ квитків цього вузла ще не потрапив у журнал: зачекайте на синхронізацію
conflict-key_taken = Цей ключ уже належить іншому вузлу
conflict-no_delegated_key = Цей вузол не має переданого ключа, який можна подовжити
conflict-no_keys_left = Вільних номерів ключів або серій не лишилось
conflict-no_open_shift = У вас немає відкритої зміни: спершу відкрийте її
conflict-not_authority = Це може зробити лише центральний сервер
conflict-not_on_sale = Цей вид квитка більше не продається
conflict-origin_taken = Вузол із таким ідентифікатором уже підключено
conflict-shift_open = У вас уже відкрита зміна: спершу закрийте її
conflict-slot_over = Цей сеанс уже закінчився
conflict-user_exists = Користувач із таким іменем уже існує
conflict-slot_sold = На цей сеанс уже продано квитки: його не можна видалити
conflict-below_sold = Місткість не може бути меншою за кількість проданих квитків
conflict-slot_closed = Цей сеанс закрито для продажу
conflict-slots_overlap = Нові сеанси перетинаються з наявними: нічого не створено
conflict-too_many_holds = У вас уже є неоплачені замовлення: оплатіть їх або дочекайтеся, доки вони скасуються
conflict-not_cancellable = Це замовлення вже не можна скасувати онлайн
conflict-other = Дію не виконано: стан змінився. Оновіть сторінку й спробуйте ще раз.

## A field that is not right.
invalid-field = Перевірте поле «{ $field }»
invalid-address = Адреса принтера — це вузол або вузол:порт, напр. 192.168.1.50:9100
invalid-amount = Введіть суму, напр. 250 або 250,50
invalid-assignee = Такого працівника немає
invalid-audience = Ключ сеансу не належить вузлу
invalid-capacity = Місткість — ціле число від 1 до 1 000 000
invalid-cash = Отримана готівка не може бути меншою за суму до сплати
invalid-category = Оберіть категорію квитка
invalid-channel = Паперові квитки вносять через імпорт паперових квитків, а не як замовлення
invalid-closed = Вихідні дні записують так: 2026-12-31
invalid-code = Перевірте код квитка або номер
invalid-counted = Введіть перелічену готівку, напр. 1250,50
invalid-currency = Валюта — це трилітерний код ISO 4217, напр. UAH
invalid-cursor = Позиція синхронізації невідома цьому серверу
invalid-document = Перевірте оформлення квитка
invalid-early = Ранній вхід — хвилини від 0 до 240
invalid-early_entry_minutes = Ранній вхід — хвилини від 0 до 240
invalid-email = Це не адреса електронної пошти
invalid-ends_at = Кінець має бути пізніше за початок
invalid-first = Введіть дату
invalid-float = Введіть суму, напр. 500 або 500,00
invalid-from = Введіть дату
invalid-gate = Назва входу задовга або порожня
invalid-id = Ідентифікатор — від 1 до 40 малих латинських літер, цифр або «-»
invalid-idempotency_key = Ключ запиту — від 1 до 64 літер, цифр, «-» або «_»
invalid-items = Оберіть хоча б один квиток (і не більше дозволеного в одному замовленні)
invalid-key = Ключ не може відкликати сам себе: підпишіть іншим кореневим ключем
invalid-lang = Мова — українська або англійська
invalid-last = Введіть дату
invalid-minutes = Тривалість — від 5 до 1440 хвилин
invalid-mixed_cash = Готівкова частина має бути більшою за нуль і меншою за суму
invalid-name = Введіть назву українською (до 200 символів)
invalid-note = Примітка задовга
invalid-ops = Забагато операцій за один раз
invalid-origin = Ідентифікатор вузла — від 8 до 64 літер, цифр або «-»
invalid-paper = Оберіть папір: A4 або 80 мм
invalid-password = Пароль задовгий або закороткий
invalid-payment = Оберіть спосіб оплати: готівка, картка або змішана
invalid-price = Введіть ціну, напр. 250 або 250,50
invalid-price_minor = Ціна має бути від 0 до 1 000 000 грн (0 для безкоштовного квитка)
invalid-printer = Такого принтера немає
invalid-product = Такого виду квитка немає
invalid-public_key = Відкритий ключ — 64 шістнадцяткові цифри
invalid-quantity = Кількість — ціле число від 1
invalid-reason = Вкажіть причину (до 1000 символів)
invalid-role = Роль — адміністратор, менеджер, касир або контролер
invalid-scans = Забагато сканувань за один раз або повтор номера
invalid-seats = Забагато місць в одному запиті
invalid-shortcut = Клавіша — цифра від 0 до 9, не зайнята іншим квитком
invalid-slot = Оберіть сеанс (квиток із відкритою датою — без сеансу)
invalid-status = Статус — новий, з відповіддю або закритий
invalid-tendered = Отримана готівка менша за суму до сплати
invalid-time_zone = Невідомий часовий пояс
invalid-times = Час сеансів записують так: 10:00 12:30
invalid-to = Введіть дату (не раніше за початкову)
invalid-username = Ім'я користувача — від 1 до 64 символів без пробілів; себе заблокувати не можна
invalid-valid_until = Вкажіть обидві дати дії або жодної
invalid-validity = Період дії закінчується раніше, ніж починається, або довший за десять років
invalid-venue = Такого закладу немає
invalid-weekdays = Оберіть хоча б один день тижня й один час початку

## Something asked for that does not exist.
not-found = Не знайдено
not-found-finding = Розбіжність не знайдено
not-found-key = Ключ не знайдено
not-found-node = Вузол не знайдено
not-found-order = Замовлення не знайдено
not-found-product = Вид квитка не знайдено
not-found-report = Звіт не знайдено
not-found-request = Звернення не знайдено
not-found-mail = У ньому не названо жодного нашого листа
not-found-reservation = Бронювання не знайдено
not-found-shift = Зміну не знайдено
not-found-slot = Сеанс не знайдено
not-found-ticket = Квиток не знайдено
not-found-user = Користувача не знайдено
not-found-venue = Заклад не знайдено
not-found-printer = Принтер не знайдено

## Other refusals.
error-bad-credentials = Неправильне ім'я користувача або пароль
error-locked-out-minutes = Забагато невдалих спроб входу. Спробуйте через { $minutes } хв.
error-unauthenticated = Спершу увійдіть
error-unavailable = Сервер тимчасово недоступний: спробуйте ще раз за хвилину
error-internal = Внутрішня помилка сервера: подробиці в журналі сервера

## Why a mail waits in the outbox.
mail-queued-no-server = чекає на надсилання: поштовий сервер (SMTP) не налаштовано
mail-queued-upstream = чекає на надсилання центральним сервером

## Staff-facing names for codes: who did something, printers, node roles, scan results.
actor-system = система
actor-visitor = відвідувач (онлайн)
actor-this-node = цей вузол ({ $role })
actor-node = { $role } «{ $name }»
actor-node-unknown = інший вузол
printer-browser = PDF 80 мм (браузер)
node-role-cloud = хмара
node-role-site_node = локальний вузол
node-role-gate = турнікет
node-role-scanner = телефон-сканер
node-role-box_office = пристрій каси
scan-result-admit = пропущено
scan-result-already_used = вже використаний
scan-result-void = скасований
scan-result-not_valid_yet = ще не діє
scan-result-expired = термін дії минув
scan-result-wrong_venue = інший заклад
scan-result-invalid = недійсний код
scan-result-unknown = невідомий квиток

## The mark across a cancelled ticket's document.
ticket-void-mark = СКАСОВАНО

## Why a print job failed.
print-error-offline = принтер вимкнений або не під’єднаний
print-error-settings = у налаштуваннях принтера помилка (адреса)
invalid-callback = Повідомлення платіжного провайдера не вдалося прочитати
