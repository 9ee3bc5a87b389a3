"""The journalist's example in the README, run as written against the demo registry.

"Which active agreements in Europe share personal data with the police and have no
independent auditor?" The curl commands are read from README.md, so that the README
and the API cannot drift apart.
"""

import csv
import io
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
ANSWER = "Anti-trafficking cooperation MOU (2018)"


def readme_curl_commands() -> list[list[str]]:
    """The curl commands of the README's journalist example, as argument lists."""
    text = README.read_text()
    start = text.index("A journalist's question")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.DOTALL).group(1)
    joined = block.replace("\\\n", " ")
    return [
        shlex.split(line, comments=True) for line in joined.splitlines() if line.startswith("curl")
    ]


def as_request(command: list[str]) -> tuple[str, list[tuple[str, str]], bool]:
    """(path, query parameters, saves under the server's file name) of a ``curl -G`` call."""
    flags = "".join(arg[1:] for arg in command[1:] if re.fullmatch(r"-[a-zA-Z]+", arg))
    assert "G" in flags, "the example sends its -d data as a query string (curl -G)"
    data = [command[i + 1] for i, arg in enumerate(command) if arg == "-d"]
    (url,) = [arg for arg in command[1:] if arg.startswith("http")]
    return urlsplit(url).path, [tuple(item.split("=", 1)) for item in data], "J" in flags


@pytest.fixture
def demo_registry():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("run_flagging", stdout=io.StringIO())


def get(client, path, params):
    query = "&".join(f"{name}={value}" for name, value in params)
    return client.get(f"{path}?{query}")


def test_the_readme_gives_the_question_and_its_csv_download():
    commands = readme_curl_commands()

    assert len(commands) == 2
    (_, query, saves), (_, export, export_saves) = map(as_request, commands)
    assert saves is False
    assert export_saves is True
    assert export == [*query, ("format", "csv")]


def test_the_readme_question_finds_the_active_european_agreement_without_auditor(
    client, demo_registry
):
    path, params, _ = as_request(readme_curl_commands()[0])

    response = get(client, path, params)

    assert response.status_code == 200
    page = response.json()
    assert [agreement["title"] for agreement in page["results"]] == [ANSWER]
    (agreement,) = page["results"]
    assert agreement["status"] == "active"
    assert agreement["has_independent_auditor"] is False
    assert any(
        term["data_category"] == "personal_identifiable"
        and term["direction"] in ("ngo_to_police", "bidirectional")
        for term in agreement["data_sharing_terms"]
    )
    assert "no_independent_auditor" in agreement["open_flags"]


def test_every_link_of_the_answer_can_be_followed(client, demo_registry):
    path, params, _ = as_request(readme_curl_commands()[0])
    (agreement,) = get(client, path, params).json()["results"]
    links = [
        agreement["url"],
        agreement["html_url"],
        agreement["partnership"]["url"],
        agreement["independent_auditor"]["url"],
        agreement["supersedes"]["url"],
        *(signatory["organization"]["url"] for signatory in agreement["signatories"]),
        *(document["url"] for document in agreement["documents"]),
    ]

    for link in links:
        response = client.get(urlsplit(link).path)
        assert response.status_code == 200, link
    partnership = client.get(urlsplit(agreement["partnership"]["url"]).path).json()
    assert partnership["region"] == "europe"


def test_the_readme_csv_download_holds_the_same_agreements(client, demo_registry):
    path, params, _ = as_request(readme_curl_commands()[1])
    listed = get(client, path, [p for p in params if p[0] != "format"]).json()["results"]

    response = get(client, path, params)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="registry-agreements-\d{8}T\d{4}Z\.csv"',
        response["Content-Disposition"],
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(row["id"]) for row in rows] == [agreement["id"] for agreement in listed]
    assert rows[0]["title"] == ANSWER
    assert rows[0]["has_independent_auditor"] == "false"
    assert "personal_identifiable" in rows[0]["data_categories"].split(";")
