"""The High Needs Block budget, projected from the EHC plan forecast.

- :mod:`.inputs`: the cycle's finance inputs (`config/finance.yml`), validated;
- :mod:`.dsg`: the DSG account in the familiar layout (budget, spend, savings, shortfalls);
- :mod:`.plans`: plans by cost group and financial year, drawn from the forecast's distribution;
- :mod:`.projection`: spend, in-year and cumulative shortfall of every scenario with intervals;
- :mod:`.report`: what report 6 (High needs budget) shows.
"""
