"""Department and county submissions: Excel templates out, validated workbooks in."""
