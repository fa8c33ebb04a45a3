"""Every diagnostic code, named once: what it means, what to do, where the guide explains it.

A diagnostic's ``code`` is what CI keys on (SARIF ``ruleId``, the title of a
GitHub annotation, ``code`` in JSON), so the codes are a public vocabulary. As
OPA keeps its error codes in one table, this module is the one place a code is
described; the SARIF rules (``fullDescription``, ``help``, ``helpUri``) and the
guide's table of codes (§9, "Every diagnostic code", checked against this table by a
test) come from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecfmg_policy.project import GUIDE_URL


@dataclass(frozen=True, slots=True)
class Code:
    """One kind of problem: a short title, what it means, and what to do about it."""

    title: str
    meaning: str
    remedy: str
    severity: str = "error"

    def help_uri(self, code: str) -> str:
        """The guide's row for this code (an anchor ``code-NAME`` in §9)."""
        return f"{GUIDE_URL}#code-{code}"


CODES: dict[str, Code] = {
    # --- reading files --------------------------------------------------------------------------
    "file-unreadable": Code(
        "file cannot be read",
        "A file named on the command line, or found in a policy or test folder, could not be read.",
        "Check the path and its permissions."),
    "encoding": Code(
        "not UTF-8",
        "A policy, test case or record holds bytes that are not UTF-8 text.",
        "Save the file as UTF-8; the position shows the first bad byte."),
    "file-link": Code(
        "symbolic link in a folder",
        "Folders are listed without following links, so a link cannot make the tool read a file "
        "outside the folder.",
        "Replace the link with the file itself, or name the file directly."),
    "file-special": Code(
        "not a regular file",
        "A pipe, device or socket was found where a file was expected; it is never read.",
        "Remove it from the folder, or name a regular file."),
    "folder-unreadable": Code(
        "folder cannot be listed",
        "A folder of policies, cases or records could not be listed; the other inputs are still processed.",
        "Check the folder's permissions."),
    "file-unwritable": Code(
        "file cannot be written",
        "fmt could not replace a file with its new layout (permissions, a full disk), or the file changed "
        "while fmt read it; the file is left as it was.",
        "Check the file's and its folder's permissions, and run fmt again."),
    "policy-missing": Code(
        "no policy here",
        "The policy path does not exist, or holds no policy files (*.yaml).",
        "Name a policy file or a folder of them with --policy, or run inside a checkout with a "
        "policies/ folder."),
    "records-missing": Code(
        "no records here",
        "A folder given to check holds no .json or .jsonl files.",
        "Name record files, or a folder that holds them."),
    "record-file": Code(
        "record_file outside the case's folder",
        "A test case's record_file must name a plain file inside the case's own folder: no absolute "
        "path, no `..` leaving it, no link.",
        "Put the record beside the case and name it by its file name."),
    "fixture-missing": Code(
        "no such fixture",
        "A test case's or fixture's `base` names no file in the fixtures/ folder beside the cases "
        "(`base: graduate` is `fixtures/graduate.yaml`).",
        "Check the name (the help line suggests the closest fixture), or write the base record in "
        "fixtures/NAME.yaml."),
    "fixture-file": Code(
        "fixture file cannot be used",
        "A fixture is read as a record_file is: a plain file in the fixtures/ folder beside the cases, "
        "never through a link, never a pipe or device. A fixture is no case: named on the command line, "
        "it is refused.",
        "Keep the fixture itself in tests/fixtures/, and run the cases that name it."),
    "fixture-chain": Code(
        "fixtures in a cycle, or a chain too long",
        "Fixtures built on other fixtures must come, within eight files, to one that holds a record, "
        "without naming one already in the chain.",
        "Build the fixture on one that holds a record, or write its record out."),
    # --- YAML -----------------------------------------------------------------------------------
    "yaml-syntax": Code(
        "invalid YAML",
        "The file is not valid YAML; the caret shows where reading stopped.",
        "Look at the caret and just before it; quote expressions that start with `[`, `{`, `*` or `!`."),
    "yaml-depth": Code(
        "YAML nested too deeply",
        "The YAML nests more levels than any policy needs; such files are refused before they are built.",
        "Flatten the structure."),
    "yaml-tag": Code(
        "YAML tag not allowed",
        "YAML tags (`!!python/object`, `!include`, …) are refused: they could make a loader run code "
        "or read files.",
        "Remove the tag and write the plain value."),
    "yaml-alias": Code(
        "YAML anchor or alias",
        "Anchors and aliases are refused: they hide what a rule says and can make a small file huge.",
        "Write the value out where it is used, or use `extends` between versions."),
    "yaml-key": Code(
        "key is not a plain name",
        "A mapping key must be a plain string, not a list, mapping, number or date.",
        "Write the key as a plain name."),
    "yaml-duplicate-key": Code(
        "duplicate key",
        "The same key appears twice in one mapping; YAML would silently keep only the second value.",
        "Keep one of them."),
    "yaml-value": Code(
        "unusable value",
        "A value cannot be used as written: a date that does not exist, a date with a time of day, or a "
        "number that is not finite or is too large.",
        "Write a real day as YYYY-MM-DD, or a finite number."),
    # --- structure of policy files and test cases -----------------------------------------------
    "policy-structure": Code(
        "policy file structure",
        "A key is unknown or missing, or a value has the wrong kind, against the policy file schema.",
        "Follow the help line; `ecfmg-policy schema policy` prints the schema your editor can use."),
    "policy-value": Code(
        "unusable policy value",
        "A value in a policy file is outside what the tool can hold (for example a duration too long).",
        "Use a smaller value."),
    "param-history": Code(
        "parameter history out of order or with a gap",
        "A parameter written as a history (dates mapped to values) has a key that is not a date, dates "
        "out of order, values of different kinds, or a first date after the version takes effect.",
        "Write the dates in order, one kind of value, and a first value that holds from the version's "
        "effective_from (write `null` for a gap the policy means)."),
    "test-case-structure": Code(
        "test case structure",
        "A key of a test case is unknown or missing, or a value has the wrong kind.",
        "Follow the help line; `ecfmg-policy schema test-case` prints the schema."),
    "test-fixture-structure": Code(
        "test fixture structure",
        "A key of a fixture file (tests/fixtures/NAME.yaml) is unknown or missing, or a value has the wrong "
        "kind: a fixture holds a `record`, or a `base` and its `changes`.",
        "Follow the help line; `ecfmg-policy schema test-fixture` prints the schema."),
    "duplicate-rule": Code(
        "duplicate rule id",
        "Two rules of one version share an id; outcomes, coverage and overrides are keyed by it.",
        "Give each rule its own id."),
    "duplicate-definition": Code(
        "definition defined twice",
        "Two definitions of one version have the same name.",
        "Rename or remove one of them."),
    "duplicate-parameter": Code(
        "parameter named twice",
        "A definition with parameters names the same parameter twice.",
        "Give each parameter its own name."),
    # --- expressions ----------------------------------------------------------------------------
    "syntax": Code(
        "expression syntax",
        "An expression cannot be read; the message lists what could have come at the caret.",
        "Look at the caret and just before it; the help line catches habits from other languages, "
        "such as `&&` or `=`."),
    "unknown-name": Code(
        "unknown name",
        "A name is not a root (applicant, params, …), a definition, a parameter or a built-in function.",
        "Check the spelling; the help line suggests the closest name."),
    "unknown-field": Code(
        "unknown field",
        "A path into the record or reference data names a field the JSON Schema does not have.",
        "Check the spelling against `ecfmg-policy schema applicant`."),
    "type": Code(
        "kinds of values do not fit",
        "An operator or function is given a kind of value it cannot take (a date compared with a "
        "number, a condition that is not true or false).",
        "Convert one side, or compare like with like."),
    "arity": Code(
        "wrong number of arguments",
        "A function or a definition with parameters is called with the wrong number of arguments, "
        "or a definition without parameters is called with `()`.",
        "Call it with the arguments it takes, as the message says."),
    "enum": Code(
        "not a possible value",
        "A code compared with a record field (an exam, a status) is not one the schema allows.",
        "Use one of the values listed in the message."),
    "reserved-name": Code(
        "reserved name",
        "A definition is named like a root, a built-in function or a reserved word.",
        "Choose another name."),
    "cycle": Code(
        "definitions in a cycle",
        "Definitions refer to each other in a cycle, so none can be computed.",
        "Break the cycle: one of them must be computed from the record alone."),
    "cost": Code(
        "too costly per record",
        "The policy could take more steps per record than the budget allows (loops inside loops "
        "multiply); a record must not be able to hang a run.",
        "Compute a list once in a definition and reuse it, or use `sort` and `earliest_from`."),
    "too-complex": Code(
        "too large to compile",
        "The policy is too large or nested too deeply to compile.",
        "Split long expressions into definitions."),
    # --- versions -------------------------------------------------------------------------------
    "version-timeline": Code(
        "versions do not form one timeline",
        "Versions must be one policy, declared once, with distinct effective dates, and `extends` must "
        "name an earlier version without cycles.",
        "Follow the message; §11 of the guide shows how versions follow each other."),
    # --- lint warnings --------------------------------------------------------------------------
    "unused-param": Code(
        "parameter never used",
        "A parameter is declared but no expression reads it.",
        "Remove it, or read it as `params.NAME`.", "warning"),
    "unused-definition": Code(
        "definition never used",
        "A definition is declared but nothing uses it.",
        "Remove it, or use it in a rule, message or output.", "warning"),
    "untitled-definition": Code(
        "definition without a title",
        "With `lint --require-titles`: a definition that a rule reads has no `title`, so reviewers and "
        "explanations have only its name.",
        "Write it as `name: {title: ..., value: ...}` (a `description` too, if the title is not enough).",
        "warning"),
    "missing-source": Code(
        "no source cited",
        "A rule or version does not quote the passage of the source text it encodes.",
        "Add `source:` with the passage.", "warning"),
    # --- formatting -----------------------------------------------------------------------------
    "fmt-unsafe": Code(
        "fmt would change what a file says",
        "fmt reads every file it formats back and compares it with the original, value for value and "
        "comment for comment; they differed, so the file is left as it was. This is a bug in fmt.",
        "Report it with the file; the file itself is fine as it is."),
    # --- records and reference data -------------------------------------------------------------
    "json-syntax": Code(
        "malformed JSON",
        "A record or data file is not valid JSON; the position shows where reading stopped.",
        "Fix the JSON at the position shown."),
    "json-structure": Code(
        "record is not an object",
        "A record must be one JSON object.",
        "Wrap the record's fields in `{ }`; give several records as JSON Lines."),
    "json-duplicate-key": Code(
        "duplicate JSON key",
        "A JSON object holds the same key twice; which value counts would depend on the reader.",
        "Keep one of them."),
    "json-depth": Code(
        "JSON nested too deeply",
        "The JSON nests more levels than any record needs.",
        "Flatten the structure."),
    "json-number": Code(
        "unusable number",
        "A number is not finite (NaN, Infinity) or is too large to hold.",
        "Write a finite number."),
    "data-schema": Code(
        "reference data does not match its schema",
        "A --data file (the World Directory) does not match its JSON Schema.",
        "Fix the entry the JSON pointer names."),
    "data-duplicate": Code(
        "reference data lists an entry twice",
        "A --data file lists the same id twice; which entry counts would be a guess.",
        "Keep one of them."),
}


def describe(code: str) -> Code:
    """The entry for ``code``; an unlisted code (a defect, caught by the tests) still gets a plain one."""
    return CODES.get(code) or Code(code.replace("-", " "), "A problem with the input.", "Follow the message.")
