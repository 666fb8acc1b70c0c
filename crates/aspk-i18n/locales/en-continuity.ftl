# The continuity console (/status, aspk status) and the museum's continuity plan
# (/settings/continuity). The seeded steps follow the museum's own plan, one step a line.

runbook-title-power = The power is out
runbook-steps-power =
    The local server runs on its UPS: keep selling and checking tickets from a laptop, tablet or phone running on battery.
    Check tickets with a phone running the scanner app: it works without a network too.
    If you cannot sell a ticket through aspk, hand out the pre-printed paper tickets from the box office's daily stock.
    When the power is back, enter every paper ticket sold into aspk (as a range of numbers, on the Paper tickets page).
runbook-title-internet = The internet is down
runbook-steps-internet =
    The box office and the gates carry on through the local server; sales wait there and go up to the cloud as soon as the link is back.
    Switch the box office and the ticket-checking devices to the backup WiFi router connected to a mobile network.
    If the backup connection cannot be started, check tickets with a smartphone on mobile internet.
    If the box office cannot sell a ticket, hand out the pre-printed paper tickets. When the internet is back, enter those tickets at the box office.
runbook-title-validator = A validator is broken
runbook-steps-validator =
    Take the backup smartphone with the ticket-checking app installed and check tickets with it.
    A new phone becomes a validator in a minute: a manager makes a code on the Devices and nodes page, and the phone scans it.
    Revoke the broken device on the Devices and nodes page, so that nobody can use it.
runbook-title-cloud = The ticketing system has failed
runbook-steps-cloud =
    The venue's local server keeps selling and checking tickets; the scanner phones work without it too.
    If you cannot sell a ticket through aspk, hand out the pre-printed paper tickets at the box office. When aspk is back, enter those tickets at the box office.
    Let visitors in on sight of their e-ticket. Record (write down or photograph) the number of the order or ticket each entry was made with.
    When aspk is back, enter the recorded numbers or photos, so that no ticket can be used again.

continuity-all-well = Everything works: no failures.
continuity-failures = What is not working
continuity-what-to-do = What to do now
continuity-since = Since { $time }
continuity-concerns = Concerns: { $parts }
continuity-own-steps = Steps from the museum's plan.
continuity-seeded-steps = The default steps; the museum can write its own.
continuity-edit-plan = Edit the steps of the continuity plan
continuity-parts = Parts of the system
continuity-this-node = This node
status-oldest-pending = The oldest of them
part-col-part = Part
part-col-name = Name
part-col-state = State
part-col-contact = Last contact
part-col-note = Note
part-this-node = { $kind } (this node)
part-kind-cloud = central server
part-kind-site_node = local server
part-kind-gate = turnstile gate
part-kind-scanner = phone scanner
part-kind-box_office = box-office device
part-kind-upstream = upstream node
part-kind-ups = uninterruptible power supply
part-kind-printer = ticket printer
part-state-online = working
part-state-offline = out of contact
part-state-not_seen = not heard from yet
part-state-revoked = revoked
part-state-on_battery = on battery
part-state-failing = writes failing

continuity-plan-title = Continuity plan
continuity-plan-hint = For each failure, the steps staff see on the System status page, one a line. Leave a failure empty for the default steps (shown in grey).
continuity-plan-venue = Venue
continuity-plan-open = Open
continuity-plan-no-venue = Add a venue first.
continuity-plan-steps-uk = Steps in Ukrainian
continuity-plan-steps-en = Steps in English
continuity-plan-saved = The plan's steps are saved.
invalid-steps_power = Steps for a power cut: a Ukrainian text is needed, at most 4000 characters
invalid-steps_internet = Steps for an internet outage: a Ukrainian text is needed, at most 4000 characters
invalid-steps_validator = Steps for a broken validator: a Ukrainian text is needed, at most 4000 characters
invalid-steps_cloud = Steps for a system failure: a Ukrainian text is needed, at most 4000 characters
