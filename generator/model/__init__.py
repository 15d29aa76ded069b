"""The case at a date: calendar, barèmes, deadlines and what a measure owes, the programme's rules, French wording."""
