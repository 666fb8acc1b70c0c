# The schedule and products in the settings (Ukrainian).

## Status lines after a save ("Збережено: …").
settings-saved-venue = Збережено: заклад «{ $name }»
settings-saved-printer = Збережено: принтер «{ $name }»
settings-saved-product = Збережено: тип квитка «{ $name }»
settings-saved-user = Збережено: працівник «{ $name }»
settings-saved-pattern = Збережено: створено сеансів — { $name }
settings-saved-slot = Збережено: місткість сеансу { $name }
settings-saved-closed = Збережено: сеанс { $name } закрито для продажу
settings-saved-reopened = Збережено: сеанс { $name } знову в продажу
settings-saved-deleted = Збережено: сеанс { $name } видалено

## Shortcut keys of products.
settings-key-column = Клавіша
settings-key = Alt+{ $key }
settings-key-taken = Alt+{ $key } — зайнята: { $product }
settings-key-auto = Перша вільна

## The week view of slots.
settings-schedule-week = Сеанси по тижнях
settings-week-of = Тиждень, що містить дату
settings-week-show = Показати
settings-week-prev = Попередній тиждень
settings-week-next = Наступний тиждень
settings-slot-day = День
settings-slot-time = Час
settings-slot-left = Вільно
settings-slot-entered = Увійшли
settings-slot-state = Стан
settings-slot-none = Сеансів немає
settings-slot-open = Відкритий
settings-slot-closed = Закритий для продажу
settings-slot-close = Закрити
settings-slot-reopen = Відкрити знову
settings-slot-delete = Видалити
settings-slot-sold-hint = На сеанс продано квитки: видалити не можна, лише закрити

## The weekly pattern.
settings-skip-overlaps = Пропустити сеанси, що перетинаються, і створити решту
settings-overlaps = Сеансів, що перетинаються з наявними: { $count }. Нічого не створено — змініть розклад або пропустіть їх.
settings-overlap = { $date } { $time } (місткість { $capacity }) — уже є сеанс { $existing } (місткість { $existing_capacity })
invalid-starts = Вкажіть хоча б один час початку, напр. 10:00 12:30
printer-kind-pdf-80mm = PDF у браузері, стрічка 80 мм
printer-kind-pdf-a4 = PDF у браузері, аркуш A4
confirm-delete-slot = Видалити сеанс { $slot }?
confirm-delete-slot-fact = Сеанс зникне з розкладу й каси. Видалити можна лише сеанс без проданих квитків.
confirm-delete-slot-yes = Так, видалити сеанс
