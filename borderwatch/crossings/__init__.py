"""The blue border: official crossings, transits, watchlist screening, risk selectivity, revenue integrity.

Lives here: the transit register and its validation (`register`, `transit_files`), Iraqi plates
(`plates`), the tariff schedule (`tariff`), name screening against watchlists in Arabic script
and Latin transliteration (`screening/`), channel selection by rules and a learned score
(`selectivity`), revenue-integrity analytics over DuckDB (`revenue`), synthetic transits with
injected leaks (`synth/`) and the service functions the CLI and API call (`service`).
May import: borderwatch.geo (the crossings come from the border configuration), NumPy, DuckDB,
pyarrow, scikit-learn, rapidfuzz, matplotlib. Nothing from the green-border pipeline.
"""
