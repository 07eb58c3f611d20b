# Read by the flask command (python-dotenv): `flask content ...` and `flask db ...` from the
# clone root find the app without --app.
FLASK_APP=api
