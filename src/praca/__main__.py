from praca.cli import app

app(prog_name="praca")
