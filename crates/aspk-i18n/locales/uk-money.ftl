# Shifts, cash rules, refunds and confirmations (Ukrainian).
confirm-title = Підтвердження
confirm-no = Ні, назад (Esc)
confirm-keys = Enter — підтвердити, Esc — повернутися без змін.
confirm-cancel-order = Скасувати замовлення { $number }?
confirm-cancel-ticket = Скасувати квиток { $ticket }?
confirm-order-tickets = { $count ->
    [one] { $count } квиток стане недійсним
    [few] { $count } квитки стануть недійсними
   *[many] { $count } квитків стануть недійсними
}
confirm-refund-amount = Повернути відвідувачу { $amount }
confirm-no-refund = Без повернення грошей
confirm-reason = Причина: { $reason }
confirm-no-reason = Причину не вказано
order-refund-needs-shift = Щоб повернути гроші за продаж у касі, відкрийте свою касову зміну: повернення записується в зміну, яка його робить.
confirm-close-shift = Закрити касову зміну?
confirm-counted = Пораховано готівки: { $amount }
confirm-difference = Різниця (пораховано − очікувано): { $amount }
confirm-note = Примітка: { $note }
shift-x-report = Проміжний X-звіт
shift-x-title = Проміжний звіт зміни (X-звіт)
shift-x-note = Зміна ще відкрита: це проміжний звіт, він змінюється з кожним продажем. Остаточний Z-звіт складається під час закриття й більше не змінюється.
shift-net = Разом за зміну (продажі − повернення)
shift-refund-from-elsewhere = продано в іншій зміні або онлайн
order-pdf-a4 = Квитки у PDF (аркуш A4)
order-pdf-roll = Квитки у PDF (стрічка 80 мм)
