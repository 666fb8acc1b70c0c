# The schedule and products in the settings (English).

## Status lines after a save ("Saved: …").
settings-saved-venue = Saved: venue “{ $name }”
settings-saved-printer = Saved: printer “{ $name }”
settings-saved-product = Saved: ticket type “{ $name }”
settings-saved-user = Saved: staff member “{ $name }”
settings-saved-pattern = Saved: time slots created — { $name }
settings-saved-slot = Saved: capacity of slot { $name }
settings-saved-closed = Saved: slot { $name } closed to sales
settings-saved-reopened = Saved: slot { $name } on sale again
settings-saved-deleted = Saved: slot { $name } deleted

## Shortcut keys of products.
settings-key-column = Key
settings-key = Alt+{ $key }
settings-key-taken = Alt+{ $key } — taken: { $product }
settings-key-auto = First free one

## The week view of slots.
settings-schedule-week = Time slots by week
settings-week-of = Week containing the date
settings-week-show = Show
settings-week-prev = Previous week
settings-week-next = Next week
settings-slot-day = Day
settings-slot-time = Time
settings-slot-left = Left
settings-slot-entered = Entered
settings-slot-state = State
settings-slot-none = No time slots
settings-slot-open = Open
settings-slot-closed = Closed to sales
settings-slot-close = Close
settings-slot-reopen = Reopen
settings-slot-delete = Delete
settings-slot-sold-hint = Tickets were sold for this slot: it can be closed, not deleted

## The weekly pattern.
settings-skip-overlaps = Skip the slots that overlap and create the rest
settings-overlaps = Slots overlapping existing ones: { $count }. Nothing was created — change the pattern or skip them.
settings-overlap = { $date } { $time } (capacity { $capacity }) — there is a slot { $existing } (capacity { $existing_capacity })
invalid-starts = Give at least one start time, e.g. 10:00 12:30
printer-kind-pdf-80mm = PDF in the browser, 80 mm roll
printer-kind-pdf-a4 = PDF in the browser, A4 sheet
confirm-delete-slot = Delete the slot { $slot }?
confirm-delete-slot-fact = The slot leaves the schedule and the box office. Only a slot with no tickets sold can be deleted.
confirm-delete-slot-yes = Yes, delete the slot
