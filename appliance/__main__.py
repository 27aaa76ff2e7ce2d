"""``python -m appliance`` runs the command-line tool."""

from appliance.cli import main

main()
