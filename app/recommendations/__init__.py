"""Table 5.1 of the review as data (library.py) and the matcher that chooses strategies for a
round (matching.py): plain Python, no web or database imports."""
