"""The board meeting: the agenda a closed round's results suggest, what each screen may show,
when a live vote's spread may be shown, and how the board's record is read. Plain Python, as
app/scoring is: no web, database or demo code."""
