"""The round report: Plotly charts, one typed context, and the HTML and PDF made from it."""
