"""The round report: SVG charts, one typed context, and the HTML and PDF made from it."""
