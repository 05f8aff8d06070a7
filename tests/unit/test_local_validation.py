"""Validation of resource models in Cloud Control's words, with ECMA/Java registry patterns."""

from __future__ import annotations

from cloudforge.local.validation import compile_pattern, model_validation_message, violations

PROFILE = "AWS::Connect::SecurityProfile"
ARN = "arn:aws:connect:us-east-1:123456789012:instance/abc"


def test_ecma_patterns_compile_where_python_re_would_not() -> None:
    letters = compile_pattern(r"^\p{L}+\z")
    assert letters is not None
    assert letters.search("Écoute") and not letters.search("abc1")


def test_utf16_surrogate_pairs_are_the_code_points_they_encode() -> None:
    # As the generated validation reads them (cloudforge.schemas.patterns.normalize_pattern).
    emoji = compile_pattern(r"^\uD83D\uDE00\z")
    assert emoji is not None
    assert emoji.search("\U0001F600") and not emoji.search("\U0001F600\n")


def test_an_uncompilable_pattern_is_skipped_not_fatal() -> None:
    assert compile_pattern("[unclosed") is None


def test_messages_name_the_path_and_the_problem() -> None:
    assert violations(PROFILE, {"InstanceArn": ARN, "SecurityProfileName": "x" * 128}) == [
        "#/SecurityProfileName: expected maxLength: 127, actual: 128"]
    assert violations(PROFILE, {"InstanceArn": ARN, "SecurityProfileName": "P", "Permissions": "all"}) == [
        "#/Permissions: expected type: JSONArray, found: String"]
    assert violations(PROFILE, {"InstanceArn": "nope", "SecurityProfileName": "P"}) == [
        "#/InstanceArn: string [nope] does not match pattern "
        "^arn:aws[-a-z0-9]*:connect:[-a-z0-9]*:[0-9]{12}:instance/[-a-zA-Z0-9]*$"]


def test_required_read_only_properties_can_be_excused() -> None:
    model = {"InstanceArn": ARN}
    assert violations(PROFILE, model) == ["#: required key [SecurityProfileName] not found"]
    assert violations(PROFILE, model, ignore_required=frozenset({"SecurityProfileName"})) == []


def test_several_problems_are_counted() -> None:
    message = model_validation_message(["#: a", "#/B: b"])
    assert message == "Model validation failed (#: 2 schema violations found: #: a; #/B: b)"
