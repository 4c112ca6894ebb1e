"""The ``jalon`` command line: evaluate scenarios, check expected scores, validate référentiels, serve
the web application, and the operator's commands on its database (people, collectivités, members,
API tokens, référentiel imports)."""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import os
import re
import shlex
import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jalon.labellisation.checklist import Checklist, checklists
from jalon.labellisation.etoiles import etoile_score, part_fait
from jalon.loading import DEMO_SCENARIO, load
from jalon.referentiel.errors import ReferentielError
from jalon.referentiel.model import Referentiel, Referentiels
from jalon.scenarios import Scenario, ScenarioError, evaluate_scenario, read_scenario
from jalon.scores.engine import SCORE_FIELDS

app = typer.Typer(
    help="Jalon : autoévaluation d'une collectivité au regard d'un référentiel de labellisation (CAE, ECI).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
referentiel_app = typer.Typer(help="Dossiers de référentiels : valider, importer.", no_args_is_help=True)
app.add_typer(referentiel_app, name="referentiel")
# The operator's commands, on the database `jalon serve` uses (its --database and --data options).
utilisateur_app = typer.Typer(
    help="Comptes : créer, changer un mot de passe, débloquer après des échecs de connexion.",
    no_args_is_help=True,
)
app.add_typer(utilisateur_app, name="utilisateur")
collectivite_app = typer.Typer(
    help="Collectivités : créer, lister, ajouter un membre ou changer son rôle, le retirer.",
    no_args_is_help=True,
)
app.add_typer(collectivite_app, name="collectivite")
jeton_app = typer.Typer(help="Jetons d'API personnels : créer, lister, révoquer.", no_args_is_help=True)
app.add_typer(jeton_app, name="jeton")
preuves_app = typer.Typer(
    help="Bibliothèque de preuves : supprimer les fichiers qu'aucun document ne référence plus.",
    no_args_is_help=True,
)
app.add_typer(preuves_app, name="preuves")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Where the web application keeps its data: ``jalon serve`` and the operator commands take the same
# options, so that each command works on the database the server uses.
DEFAULT_DATA_DIR = Path(".jalon")
DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        envvar="JALON_DATA_DIR",
        help="Dossier de la base SQLite et de la clé secrète (.jalon par défaut).",
        file_okay=False,
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="DATABASE_URL",
        help="sqlite:///FICHIER ou postgresql://utilisateur@hôte/base ; SQLite dans --data sinon.",
    ),
]

ReferentielsOption = Annotated[
    Path | None,
    typer.Option(
        "--referentiels",
        "-r",
        help="Dossier de référentiels (comme ../shared/referentiels) ; la démo intégrée sinon.",
        file_okay=False,
    ),
]

CriteresOption = Annotated[
    Path | None,
    typer.Option(
        "--criteres",
        help="Fichier des critères de labellisation (comme ../shared/labellisation/criteres.yml), "
        "à la place de labellisation/criteres.yml du dossier de référentiels.",
        dir_okay=False,
    ),
]


def _load_or_exit(path: Path | None, criteres: Path | None = None) -> Referentiels:
    try:
        return load(path, criteres)
    except ReferentielError as error:
        for problem in error.problems:
            err.print(str(problem), markup=False)
        err.print(f"[red]{len(error.problems)} problème(s) dans {path or 'la démo'}[/red]")
        raise typer.Exit(2) from None


def _read_or_exit(path: Path, loaded: Referentiels) -> Scenario:
    try:
        scenario = read_scenario(path, loaded)
    except ScenarioError as error:
        for problem in error.problems:
            err.print(str(problem), markup=False)
        raise typer.Exit(2) from None
    for warning in scenario.warnings:
        err.print(f"attention : {warning}", markup=False)
    return scenario


@app.command()
def evaluate(
    scenario: Annotated[Path, typer.Argument(help="Fichier de scénario (Collectivité, Réponses, Statuts).")],
    referentiels: ReferentielsOption = None,
) -> None:
    """Affiche en JSON les scores de chaque action de chaque référentiel."""
    loaded = _load_or_exit(referentiels)
    state = _read_or_exit(scenario, loaded)
    json.dump(evaluate_scenario(loaded, state), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


# Shares are printed to 4 decimals: enough to see a threshold missed by a hair (0.3499).
SHARE_DECIMALS = 4


def checklist_json(checklist: Checklist) -> dict[str, Any]:
    """A référentiel's checklist as ``jalon labellisation`` prints it."""
    return {
        "fait": round(checklist.fait, SHARE_DECIMALS),
        "etoile_score": checklist.etoile_score,
        "completude": round(checklist.completude, SHARE_DECIMALS),
        "criteres": [
            {
                "etoile": c.critere.etoile,
                "action": c.action_id,
                "atteint": c.atteint,
                "fait": round(c.fait, SHARE_DECIMALS),
                "programme": round(c.programme, SHARE_DECIMALS),
            }
            for c in checklist.criteres
        ],
    }


@app.command()
def labellisation(
    scenario: Annotated[Path, typer.Argument(help="Fichier de scénario (Collectivité, Réponses, Statuts).")],
    referentiels: ReferentielsOption = None,
    criteres: CriteresOption = None,
) -> None:
    """Affiche en JSON, par référentiel, la part faite, l'étoile que permet le score, la complétude et
    les critères de l'étoile visée (atteints ou non, avec leurs parts fait et programmé)."""
    loaded = _load_or_exit(referentiels, criteres)
    if loaded.criteres is None:
        err.print(
            f"Aucun critère de labellisation : {referentiels or 'la démo'} n'a pas de "
            "labellisation/criteres.yml ; attendu --criteres FICHIER.",
            markup=False,
        )
        raise typer.Exit(2)
    state = _read_or_exit(scenario, loaded)
    found = checklists(loaded, evaluate_scenario(loaded, state), state.statuts)
    json.dump({ref: checklist_json(c) for ref, c in found.items()}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def _scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.yml") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            err.print(f"{path} : fichier ou dossier introuvable", markup=False)
            raise typer.Exit(2)
    return files


def compare_scores(
    expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]
) -> list[tuple[str, str]]:
    """Each expected field that differs from the engine's: (action id, "field: expected X, got Y")."""
    failures = []
    for action_id, fields in expected.items():
        got = actual.get(action_id)
        if got is None:
            failures.append((action_id, "action inconnue"))
            continue
        for name, value in fields.items():
            if name not in SCORE_FIELDS:
                failures.append((action_id, f"{name} : champ de score inconnu"))
            elif got[name] != value or isinstance(got[name], bool) != isinstance(value, bool):
                failures.append((action_id, f"{name} : attendu {value!r}, obtenu {got[name]!r}"))
    return failures


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Fichiers de scénario ou dossiers qui en contiennent (*.yml).")
    ],
    referentiels: ReferentielsOption = None,
) -> None:
    """Calcule des scénarios et compare leurs Scores attendus à ceux du moteur."""
    loaded = _load_or_exit(referentiels)
    files = _scenario_files(paths)
    passed = failed = 0
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("scénarios", total=len(files))
        for file in files:
            progress.advance(task)
            try:
                scenario = read_scenario(file, loaded)
            except ScenarioError as error:
                failed += 1
                for problem in error.problems:
                    out.print(f"ÉCHEC {problem}", markup=False)
                continue
            failures = compare_scores(scenario.expected, evaluate_scenario(loaded, scenario))
            if failures:
                failed += 1
                for action_id, failure in failures:
                    line = scenario.lines.get(f"Scores/{action_id}")
                    where = f"{file}:{line}" if line else str(file)
                    out.print(f"ÉCHEC {where} : {action_id}.{failure}", markup=False)
            else:
                passed += 1
    out.print(f"{passed} réussi(s), {failed} en échec", markup=False)
    if failed or not files:
        raise typer.Exit(1)


@referentiel_app.command("validate")
def validate(
    folder: Annotated[Path, typer.Argument(help="Dossier de référentiel à valider.")],
    criteres: CriteresOption = None,
) -> None:
    """Signale chaque problème d'un dossier de référentiel : fichier:ligne: id: message."""
    try:
        loaded = load(folder, criteres)
    except ReferentielError as error:
        for problem in error.problems:
            out.print(str(problem), markup=False)
        err.print(f"{len(error.problems)} problème(s)")
        raise typer.Exit(1) from None
    for referentiel in loaded.referentiels.values():
        out.print(
            f"{referentiel.id}: {len(referentiel.actions)} actions, {referentiel.root.points:g} points",
            markup=False,
        )
    out.print(
        f"{len(loaded.questions)} questions, {len(loaded.personnalisations)} personnalisations, "
        f"{len(loaded.preuves)} preuves : aucun problème",
        markup=False,
    )
    if loaded.criteres is not None:
        count = sum(len(found) for found in loaded.criteres.criteres.values())
        out.print(
            f"critères de labellisation ({loaded.criteres.path}) : {len(loaded.criteres.etoiles)} étoiles, "
            f"{count} critères",
            markup=False,
        )


@app.command()
def demo(
    scenario: Annotated[
        Path | None, typer.Argument(help="Fichier de scénario ; celui de la démo sinon.")
    ] = None,
    referentiels: ReferentielsOption = None,
) -> None:
    """Affiche les scores d'un scénario en tableau, avec l'étoile que permet chaque référentiel."""
    loaded = _load_or_exit(referentiels)
    state = _read_or_exit(scenario or DEMO_SCENARIO, loaded)
    scores = evaluate_scenario(loaded, state)
    for referentiel in loaded.referentiels.values():
        root = scores[referentiel.id]
        fait = part_fait(float(root["point_fait"] or 0), float(root["point_potentiel"] or 0))
        star = etoile_score(fait, loaded.criteres.etoiles) if loaded.criteres is not None else None
        out.print(demo_table(referentiel, scores, fait, star))
        if star is not None:
            # The score allows a star; the label needs its criteria, and from the 2nd on an audit.
            out.print(
                "Une étoile s'obtient quand ses critères sont remplis (jalon labellisation),", markup=False
            )
            out.print("puis, à partir de la deuxième, après un audit.", markup=False)


# The score columns of ``jalon demo``: short headers, so that the table holds in 80 columns with the
# names wrapped beside them.
DEMO_COLUMNS = (
    ("poten-\ntiel", "point_potentiel"),
    ("fait", "point_fait"),
    ("pro-\ngrammé", "point_programme"),
    ("pas\nfait", "point_pas_fait"),
    ("non ren-\nseigné", "point_non_renseigne"),
)


def demo_table(
    referentiel: Referentiel, scores: dict[str, dict[str, Any]], fait: float, star: int | None
) -> Table:
    """The référentiel's scores down to one level below the mesures: the names wrap, the numbers
    (right-aligned) never do, and no border is drawn but the header's rule, to leave the names room."""
    table = Table(
        title=f"{referentiel.nom} — {fait * 100:.1f} % fait"
        + (f", de quoi demander la {star}e étoile" if star and star > 1 else ""),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("action", no_wrap=True)
    table.add_column("nom", ratio=1, overflow="fold")
    for header, _ in DEMO_COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for action in referentiel.actions.values():
        if action.depth > referentiel.action_level + 1:
            continue
        s = scores[action.id]
        table.add_row(
            action.identifiant or action.id,  # its dots tell the depth
            # Composed: some names spell an accent as a combining character, which a terminal that does
            # not compose draws in a cell of its own.
            unicodedata.normalize("NFC", action.nom),
            *(f"{s[key]:g}" for _, key in DEMO_COLUMNS),
        )
    return table


@app.command()
def serve(
    referentiels: ReferentielsOption = None,
    criteres: CriteresOption = None,
    port: Annotated[int, typer.Option("--port", "-p", help="Port sur 127.0.0.1.")] = 8000,
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
    dev: Annotated[
        bool, typer.Option("--dev", help="Le serveur de développement de Django au lieu de granian.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Processus serveurs (1 par défaut ; voir docs/performance.md)."
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            help="Fils Python par processus serveur ; 1 sur SQLite, 4 sur PostgreSQL par défaut.",
        ),
    ] = None,
) -> None:
    """Démarre l'application web : migrations, import des référentiels, données de démo, service."""
    require_web()
    from jalon.web.serve import check_port_free, configure, prepare, run

    check_port_free(port)  # before migrating or importing anything for a server that cannot start
    reset = reset_command(database, data_dir)
    configure(database, data_dir.resolve())
    prepared = prepare(referentiels, criteres)
    for problem in prepared.problems:
        err.print(str(problem), markup=False)
    if prepared.problems:
        err.print(f"[red]{len(prepared.problems)} problème(s) : le référentiel n'a pas été importé[/red]")
        if prepared.version_id is None:
            raise typer.Exit(2)
        err.print(f"la version précédente ({prepared.version_id}) reste en service")
    elif prepared.imported:
        out.print(f"référentiels importés comme version {prepared.version_id}", markup=False)
    announce_when_ready(port, ready_message(port, prepared.admin_password, reset))
    run(port, dev=dev, threads=threads, workers=workers)


def reset_command(database: str | None, data_dir: Path) -> str:
    """The command that gives the admin a new password on the same database as this ``jalon serve``:
    the program as it was typed when it is not the one on the PATH (``make run`` calls
    .venv/bin/jalon), then the options that chose the database (after the command: each command takes
    its own)."""
    program = sys.argv[0] if Path(sys.argv[0]).name == "jalon" else "jalon"
    on_path = shutil.which("jalon")
    if on_path and Path(on_path).resolve() == Path(program).resolve():
        program = "jalon"
    words = [program, "utilisateur", "mot-de-passe", "admin"]
    # Call before ``configure``, which puts both in the environment: an option read from there needs no
    # repeating in the same shell.
    if database and database != os.environ.get("DATABASE_URL"):
        words += ["--database", database]
    implied = Path(os.environ.get("JALON_DATA_DIR") or DEFAULT_DATA_DIR)
    if data_dir.resolve() != implied.resolve():
        words += ["--data", str(data_dir)]
    return shlex.join(words)


def ready_message(port: int, password: str | None, reset: str) -> str:
    """What ``jalon serve`` prints once the server answers: where, who, and how to get a new password
    (``reset``: the command, as ``reset_command`` gives it)."""
    lines = [
        f"Jalon est prêt : http://127.0.0.1:{port}/",
        "  utilisateur   : admin",
    ]
    if password:
        lines.append(f"  mot de passe  : {password}   (affiché cette fois seulement : notez-le)")
    else:
        lines.append("  mot de passe  : celui qui a été affiché au premier démarrage")
    lines += [
        f"  mot de passe perdu ? {reset}",
        f"  API : http://127.0.0.1:{port}/api/docs",
        "Ctrl-C pour arrêter.",
    ]
    return "\n".join(lines)


# How long the server may take to answer its first request before the message is given up on (the
# server prints its own errors meanwhile).
READY_TIMEOUT_S = 60.0


def announce_when_ready(port: int, message: str) -> threading.Thread:
    """Print ``message`` once the server answers a first HTTP request, from a thread: the server runs in
    the main thread, and its own start-up lines come first, so that the password is the last thing
    on the screen. The thread holds no lock while it waits (granian forks its workers meanwhile)."""

    def wait_then_print() -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("HEAD", "/connexion/")
                connection.getresponse()
            except OSError:
                time.sleep(0.1)
                continue
            finally:
                connection.close()
            out.print(message, markup=False)
            return

    thread = threading.Thread(target=wait_then_print, name="jalon-ready", daemon=True)
    thread.start()
    return thread


# -- the operator's commands ------------------------------------------------------------------------
# Each sets Django up on the database `jalon serve` uses, then calls jalon.web.operator (imported only
# then: the engine's commands never load Django). A refusal prints its reason in French on the error
# output and exits with status 1; a mistyped command exits with status 2.


WEB_MISSING = "L'application web n'est pas installée : pip install 'jalon[web]'"


def missing_web_packages() -> list[str]:
    """The distributions of the ``web`` extra that are not installed (``pip install jalon`` gives the
    engine and this command line only)."""
    try:
        requirements = importlib.metadata.requires("jalon") or []
    except importlib.metadata.PackageNotFoundError:
        return []  # run from a source tree without being installed: nothing to compare with
    missing: list[str] = []
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name is None or not re.search(r"""extra\s*==\s*["']web["']""", requirement):
            continue
        try:
            importlib.metadata.distribution(name.group())
        except importlib.metadata.PackageNotFoundError:
            missing.append(name.group())
    return missing


def require_web() -> None:
    """Stop with a French message, rather than an ImportError, when the web extra is not installed."""
    missing = missing_web_packages()
    if missing:
        err.print(WEB_MISSING, markup=False)
        err.print(f"(absent : {', '.join(missing)})", markup=False)
        raise typer.Exit(1)


@contextmanager
def operating(database: str | None, data_dir: Path) -> Iterator[None]:
    require_web()
    from django.db import DatabaseError

    from jalon.web.serve import connect

    try:
        connect(database, data_dir.resolve())
    except DatabaseError as error:
        err.print(f"Base de données injoignable ou illisible : {error}", markup=False)
        raise typer.Exit(1) from None
    from jalon.web.operator import OperatorError

    try:
        yield
    except OperatorError as error:
        err.print(f"Refusé : {str(error).rstrip('.')}.", markup=False)
        raise typer.Exit(1) from None


UsernameArgument = Annotated[str, typer.Argument(help="Nom d'utilisateur (celui de la connexion).")]
CollectiviteArgument = Annotated[
    str, typer.Argument(help="Numéro de la collectivité (celui de son adresse, /c/N/) ou son nom exact.")
]
GenerateOption = Annotated[
    bool,
    typer.Option("--generer", help="Tirer un mot de passe au hasard et l'afficher, plutôt que le demander."),
]


def _new_password(generate: bool) -> str:
    from jalon.web.operator import OperatorError, generate_password

    if generate:
        return generate_password()
    first: str = typer.prompt("Nouveau mot de passe", hide_input=True)
    second: str = typer.prompt("Le même, pour confirmer", hide_input=True)
    if first != second:
        raise OperatorError("les deux saisies diffèrent ; rien n'a changé")
    return first


def _show_password(username: str, password: str) -> None:
    out.print(f"Mot de passe de {username} : {password}", markup=False)
    out.print("(affiché cette fois seulement : transmettez-le, puis changez-le à la première occasion)")


@utilisateur_app.command("creer")
def utilisateur_creer(
    username: UsernameArgument,
    email: Annotated[str, typer.Option("--email", help="Adresse électronique (facultative).")] = "",
    superuser: Annotated[
        bool,
        typer.Option(
            "--superutilisateur", help="Avec l'administration de Django (/admin/) et tous ses droits."
        ),
    ] = False,
    generate: GenerateOption = False,
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Créer un compte ; le mot de passe est demandé (deux fois), ou tiré au hasard avec --generer."""
    with operating(database, data_dir):
        from jalon.web import operator

        password = _new_password(generate)
        operator.create_user(username, password, email, superuser)
        out.print(
            f"Compte {username} créé{' (superutilisateur)' if superuser else ''}. "
            f"Donnez-lui un rôle : jalon collectivite membre COLLECTIVITE {username} --role edition",
            markup=False,
        )
        if generate:
            _show_password(username, password)


@utilisateur_app.command("mot-de-passe")
def utilisateur_mot_de_passe(
    username: UsernameArgument,
    generate: GenerateOption = False,
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Donner un nouveau mot de passe à un compte (demandé deux fois, ou tiré au hasard avec --generer)."""
    with operating(database, data_dir):
        from jalon.web import operator

        operator.user_named(username)  # before asking for a password
        password = _new_password(generate)
        operator.set_password(username, password)
        out.print(f"Mot de passe de {username} changé.", markup=False)
        if generate:
            _show_password(username, password)


@utilisateur_app.command("debloquer")
def utilisateur_debloquer(
    username: Annotated[
        str | None, typer.Argument(help="Nom d'utilisateur bloqué après des échecs de connexion.")
    ] = None,
    address: Annotated[str | None, typer.Option("--adresse", help="Adresse IP bloquée.")] = None,
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Effacer les échecs de connexion qui bloquent un compte ou une adresse IP."""
    with operating(database, data_dir):
        from jalon.web import operator

        removed = operator.unlock(username, address)
        what = " et ".join(
            x
            for x in (f"le compte {username}" if username else "", f"l'adresse {address}" if address else "")
            if x
        )
        if removed:
            out.print(f"Débloqué : {what} ({removed} enregistrement(s) d'échecs effacé(s)).", markup=False)
        else:
            out.print(f"Aucun échec de connexion enregistré pour {what} : rien à débloquer.", markup=False)


@collectivite_app.command("creer")
def collectivite_creer(
    nom: Annotated[str, typer.Argument(help="Nom de la collectivité.")],
    type: Annotated[str, typer.Option("--type", help="commune, EPCI, syndicat ou syndicat_traitement.")],
    population: Annotated[
        str, typer.Option("--population", help="Nombre d'habitants (45000 ou « 45 000 »).")
    ],
    admin: Annotated[str, typer.Option("--admin", help="Le compte qui en sera le premier admin.")],
    localisation: Annotated[str, typer.Option("--localisation", help="Metropole ou DOM.")] = "Metropole",
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Créer une collectivité, avec son premier admin."""
    with operating(database, data_dir):
        from jalon.web import operator

        c = operator.create_collectivite(nom, type, population, localisation, admin)
        out.print(
            f"Collectivité n° {c.pk} créée : {c.nom} ; {admin} en est admin (/c/{c.pk}/).", markup=False
        )


@collectivite_app.command("liste")
def collectivite_liste(database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR) -> None:
    """Lister les collectivités : numéro, nom, type, population, admins."""
    with operating(database, data_dir):
        from jalon.web import operator

        rows = operator.list_collectivites()
        if not rows:
            out.print(
                "Aucune collectivité. Créez-en une : jalon collectivite creer NOM --type ... --admin ..."
            )
            return
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column("n°", justify="right", no_wrap=True)
        table.add_column("nom", ratio=1, overflow="fold")
        table.add_column("type", no_wrap=True)
        table.add_column("habitants", justify="right", no_wrap=True)
        table.add_column("membres", justify="right", no_wrap=True)
        table.add_column("admins", overflow="fold")
        for row in rows:
            table.add_row(
                str(row.id),
                row.nom,
                row.type,
                f"{row.population:,}".replace(",", " "),
                str(row.members),
                ", ".join(row.admins) or "aucun",
            )
        out.print(table)


@collectivite_app.command("membre")
def collectivite_membre(
    collectivite: CollectiviteArgument,
    username: UsernameArgument,
    role: Annotated[
        str, typer.Option("--role", help="admin, edition, lecture, auditeur ou conseiller (voir le README).")
    ],
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Ajouter un membre à une collectivité avec un rôle, ou changer le rôle d'un membre."""
    with operating(database, data_dir):
        from jalon.web import operator

        c, previous = operator.set_member(collectivite, username, role)
        if previous is None:
            out.print(f"{username} rejoint {c.nom} ({role}).", markup=False)
        elif previous == role:
            out.print(f"{username} est déjà {role} de {c.nom} : rien n'a changé.", markup=False)
        else:
            out.print(f"{username}, {c.nom} : {previous} → {role}.", markup=False)


@collectivite_app.command("retirer")
def collectivite_retirer(
    collectivite: CollectiviteArgument,
    username: UsernameArgument,
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Retirer un membre d'une collectivité (son compte et ce qu'il a écrit restent)."""
    with operating(database, data_dir):
        from jalon.web import operator

        c, role = operator.remove_member(collectivite, username)
        out.print(f"{username} ne fait plus partie de {c.nom} (était {role}).", markup=False)


@jeton_app.command("creer")
def jeton_creer(
    username: UsernameArgument,
    name: Annotated[
        str, typer.Option("--nom", help="À quoi il sert (montré dans la liste des jetons).")
    ] = "jalon",
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Créer un jeton d'API pour un compte ; il est affiché une seule fois."""
    with operating(database, data_dir):
        from jalon.web import operator

        token = operator.create_token(username, name)
        out.print(token, markup=False)
        err.print(
            f"Jeton « {name} » de {username}, affiché cette fois seulement (seule son empreinte est gardée). "
            "Il s'envoie dans l'en-tête Authorization: Bearer JETON.",
            markup=False,
        )


@jeton_app.command("liste")
def jeton_liste(
    username: UsernameArgument, database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR
) -> None:
    """Lister les jetons d'un compte : numéro, nom, fin du jeton, date de création."""
    with operating(database, data_dir):
        from jalon.web import operator

        tokens = operator.list_tokens(username)
        if not tokens:
            out.print(f"{username} n'a aucun jeton.", markup=False)
        for token in tokens:
            out.print(
                f"{token.pk}  {token.name}  …{token.last_characters}  créé le {token.created_at:%Y-%m-%d}",
                markup=False,
            )


@jeton_app.command("revoquer")
def jeton_revoquer(
    username: UsernameArgument,
    token_id: Annotated[int, typer.Argument(help="Numéro du jeton (jalon jeton liste UTILISATEUR).")],
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Révoquer un jeton d'API : il cesse aussitôt de fonctionner."""
    with operating(database, data_dir):
        from jalon.web import operator

        operator.revoke_token(username, token_id)
        out.print(f"Jeton n° {token_id} de {username} révoqué.", markup=False)


@preuves_app.command("nettoyer")
def preuves_nettoyer(database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR) -> None:
    """Supprimer les fichiers stockés qu'aucun document ne référence plus (ceux de moins d'une heure sont
    gardés : un dépôt peut être en cours)."""
    with operating(database, data_dir):
        from jalon.web import operator

        removed = operator.remove_unreferenced_files()
        if removed:
            out.print(f"{len(removed)} fichier(s) supprimé(s) :", markup=False)
            for path in removed:
                out.print(f"  {path}", markup=False)
        else:
            out.print("Aucun fichier orphelin : rien à supprimer.", markup=False)


@referentiel_app.command("importer")
def referentiel_importer(
    folder: Annotated[Path, typer.Argument(help="Dossier du référentiel (comme ../shared/referentiels).")],
    criteres: CriteresOption = None,
    database: DatabaseOption = None,
    data_dir: DataOption = DEFAULT_DATA_DIR,
) -> None:
    """Importer un dossier de référentiel comme nouvelle version, vérifié d'abord : un dossier qui a des
    problèmes n'est pas importé (chacun est montré en fichier:ligne) et la version en service reste."""
    with operating(database, data_dir):
        from jalon.web import operator

        imported = operator.import_referentiel(folder, criteres)
        for problem in imported.problems:
            out.print(str(problem), markup=False)
        if imported.problems:
            kept = (
                f"la version {imported.kept} reste en service"
                if imported.kept
                else "aucune version en service"
            )
            err.print(f"{len(imported.problems)} problème(s) : rien n'a été importé ; {kept}.", markup=False)
            raise typer.Exit(1)
        assert imported.result is not None
        version = imported.result.version.pk
        if imported.result.created:
            out.print(
                f"Référentiels importés comme version {version}, en service dès maintenant "
                "(un serveur lancé la prend à sa prochaine requête).",
                markup=False,
            )
        else:
            out.print(f"Identique à la version {version}, déjà en service : rien à importer.", markup=False)


# -- backups ------------------------------------------------------------------------------------------

ArchiveArgument = Annotated[
    Path, typer.Argument(help="Fichier de la sauvegarde (une archive tar).", dir_okay=False)
]


@contextmanager
def progress_bar() -> Iterator[Any]:
    """A Rich progress bar on the error output (the standard output stays for the result)."""
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=None)

        def report(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=max(total, 1))

        yield report


def _sauvegarde(archive: Path, database: str | None, data_dir: Path) -> None:
    with operating(database, data_dir):
        from jalon.web import backup

        with progress_bar() as report:
            summary = backup.backup(archive.resolve(), report)
        out.print(
            f"Sauvegarde écrite : {archive} ({summary.tables} tables, {summary.rows} lignes, "
            f"{summary.files} fichier(s)).",
            markup=False,
        )


def _restauration(archive: Path, database: str | None, data_dir: Path) -> None:
    with operating(database, data_dir):
        from jalon.web import backup

        with progress_bar() as report:
            summary = backup.restore(archive.resolve(), report)
        out.print(
            f"Sauvegarde restaurée : {summary.rows} lignes dans {summary.tables} tables, "
            f"{summary.files} fichier(s).",
            markup=False,
        )
        with progress_bar() as report:
            differing = backup.differing_scores(report)
        if differing:
            # Restored as they were saved: a difference was in the backed-up instance already.
            err.print(
                "Attention : scores enregistrés différents d'une évaluation complète de leurs statuts "
                f"(ils étaient ainsi dans la sauvegarde) : {' ; '.join(differing)}.",
                markup=False,
            )
        else:
            out.print(
                "Scores vérifiés : égaux à une évaluation complète des statuts restaurés.", markup=False
            )


@app.command("sauvegarde")
def sauvegarde(
    archive: ArchiveArgument, database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR
) -> None:
    """Sauvegarder toute la base et les fichiers stockés dans une archive (jamais un fichier existant
    écrasé) ; le site peut continuer d'écrire pendant ce temps."""
    _sauvegarde(archive, database, data_dir)


@app.command("backup")
def backup_command(
    archive: ArchiveArgument, database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR
) -> None:
    """Comme « jalon sauvegarde »."""
    _sauvegarde(archive, database, data_dir)


@app.command("restauration")
def restauration(
    archive: ArchiveArgument, database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR
) -> None:
    """Restaurer une sauvegarde dans une instance vide (sans collectivité ni compte) : l'archive est
    vérifiée d'abord, puis chargée en une transaction ; rien n'est écrit si elle est refusée."""
    _restauration(archive, database, data_dir)


@app.command("restore")
def restore_command(
    archive: ArchiveArgument, database: DatabaseOption = None, data_dir: DataOption = DEFAULT_DATA_DIR
) -> None:
    """Comme « jalon restauration »."""
    _restauration(archive, database, data_dir)
