# Messages for errors the server can send (English).

## The state a request met (a conflict, by its code).
conflict-already_cancelled = This order or ticket is cancelled already
conflict-beyond_key = This ticket would be valid after this site node's signing key runs out: sell it online or at the main office
conflict-enrolment_invalid = The enrolment code is unknown, used or expired
conflict-key_not_published = This node's ticket key is not in the log yet: wait for the sync
conflict-key_taken = This key belongs to another node already
conflict-no_delegated_key = This node holds no delegated key to renew
conflict-no_keys_left = No key numbers or serial blocks are left
conflict-no_open_shift = You have no open shift: open one first
conflict-not_authority = Only the central server may do this
conflict-not_on_sale = This ticket type is no longer on sale
conflict-origin_taken = A node with this identifier is enrolled already
conflict-shift_open = You already have an open shift: close it first
conflict-slot_over = This time slot has already ended
conflict-user_exists = A user of that name exists already
conflict-slot_sold = Tickets were sold for this slot: it cannot be deleted
conflict-below_sold = The capacity cannot be below the tickets sold
conflict-slot_closed = This time slot is closed to sales
conflict-slots_overlap = The new slots overlap existing ones: nothing was created
conflict-too_many_holds = You already have unpaid orders waiting: pay for them or wait until they expire
conflict-not_cancellable = This order can no longer be cancelled online
conflict-other = Not done: the state has changed. Reload the page and try again.

## A field that is not right.
invalid-field = Check the field “{ $field }”
invalid-address = A printer address is a host or host:port, e.g. 192.168.1.50:9100
invalid-amount = Type an amount such as 250 or 250.50
invalid-assignee = There is no such member of staff
invalid-audience = The session key does not belong to a node
invalid-capacity = Capacity is a whole number from 1 to 1,000,000
invalid-cash = The cash handed over cannot be less than the amount due
invalid-category = Choose a ticket category
invalid-channel = Paper tickets are entered through the paper import, not as an order
invalid-closed = Closed days look like 2026-12-31
invalid-code = Check the ticket's code or number
invalid-counted = Type the cash counted, such as 1250.50
invalid-currency = A currency is a three-letter ISO 4217 code, e.g. UAH
invalid-cursor = This server does not know that sync position
invalid-document = Check the ticket's layout
invalid-early = Early entry is minutes, 0 to 240
invalid-early_entry_minutes = Early entry is minutes, 0 to 240
invalid-email = This is not an e-mail address
invalid-ends_at = The end must be after the start
invalid-first = Type a date
invalid-float = Type an amount such as 500 or 500.00
invalid-from = Type a date
invalid-gate = The entrance name is empty or too long
invalid-id = An id is 1 to 40 lowercase Latin letters, digits or “-”
invalid-idempotency_key = A request key is 1 to 64 letters, digits, “-” or “_”
invalid-items = Choose at least one ticket (and no more than an order may hold)
invalid-key = A key cannot withdraw itself: sign with another root key
invalid-lang = The language is Ukrainian or English
invalid-last = Type a date
invalid-minutes = A duration is 5 to 1440 minutes
invalid-mixed_cash = The cash part must be more than zero and less than the total
invalid-name = Type a name in Ukrainian (up to 200 characters)
invalid-note = The note is too long
invalid-ops = Too many operations at once
invalid-origin = A node identifier is 8 to 64 letters, digits or “-”
invalid-paper = Choose the paper: A4 or 80 mm
invalid-password = The password is too short or too long
invalid-payment = Choose how to pay: cash, card or mixed
invalid-price = Type a price such as 250 or 250.50
invalid-price_minor = A price is 0 to 1,000,000 (0 for a free ticket)
invalid-printer = There is no such printer
invalid-product = There is no such ticket type
invalid-public_key = A public key is 64 hex digits
invalid-quantity = A quantity is a whole number from 1
invalid-reason = Give a reason (up to 1000 characters)
invalid-role = A role is administrator, manager, cashier or controller
invalid-scans = Too many scans at once, or a number given twice
invalid-seats = Too many seats in one request
invalid-shortcut = A key is a digit from 0 to 9 that no other ticket uses
invalid-slot = Choose a time slot (an open-date ticket takes none)
invalid-status = A status is new, answered or closed
invalid-tendered = The cash handed over is less than the amount due
invalid-time_zone = Unknown time zone
invalid-times = Times look like 10:00 12:30
invalid-to = Type a date (not before the first one)
invalid-username = A user name is 1 to 64 characters without spaces; you cannot lock yourself out
invalid-valid_until = Give both validity dates, or neither
invalid-validity = The validity ends before it starts, or is longer than ten years
invalid-venue = There is no such venue
invalid-weekdays = Choose at least one day of the week and one start time

## Something asked for that does not exist.
not-found = Not found
not-found-finding = Finding not found
not-found-key = Key not found
not-found-node = Node not found
not-found-order = Order not found
not-found-product = Ticket type not found
not-found-report = Report not found
not-found-request = Request not found
not-found-mail = No mail of ours is named in it
not-found-reservation = Reservation not found
not-found-shift = Shift not found
not-found-slot = Time slot not found
not-found-ticket = Ticket not found
not-found-user = User not found
not-found-venue = Venue not found
not-found-printer = Printer not found

## Other refusals.
error-bad-credentials = Wrong user name or password
error-locked-out-minutes = Too many failed sign-ins. Try again in { $minutes } min.
error-unauthenticated = Sign in first
error-unavailable = The server is unavailable for a moment: try again in a minute
error-internal = Internal server error: the details are in the server's log

## Why a mail waits in the outbox.
mail-queued-no-server = waiting to be sent: no mail server (SMTP) is configured
mail-queued-upstream = waiting to be sent by the central server

## Staff-facing names for codes: who did something, printers, node roles, scan results.
actor-system = system
actor-visitor = visitor (online)
actor-this-node = this node ({ $role })
actor-node = { $role } “{ $name }”
actor-node-unknown = another node
printer-browser = PDF 80 mm (browser)
node-role-cloud = cloud
node-role-site_node = site node
node-role-gate = gate
node-role-scanner = phone scanner
node-role-box_office = box-office device
scan-result-admit = admitted
scan-result-already_used = already used
scan-result-void = cancelled
scan-result-not_valid_yet = not valid yet
scan-result-expired = expired
scan-result-wrong_venue = another venue
scan-result-invalid = invalid code
scan-result-unknown = unknown ticket

## The mark across a cancelled ticket's document.
ticket-void-mark = CANCELLED

## Why a print job failed.
print-error-offline = the printer is off or not connected
print-error-settings = the printer's settings are wrong (its address)
invalid-callback = The payment provider's message cannot be read
