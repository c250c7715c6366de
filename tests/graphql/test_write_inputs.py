"""Write inputs reach the services as plain dicts keyed by Python names; an input whose names
are the same in both is handed on as graphql-core coerced it, without a copy."""

from registry import services
from registry.graphql.bulk.mutations import BulkRecordInput
from registry.graphql.core.write_inputs import _plain, write_inputs

ORGANIZATION_PATCH = write_inputs(services.ORGANIZATION, "Organization").patch
PERSON_PATCH = write_inputs(services.PERSON, "Person").patch
CITATION = {"source": "a-source", "excerpt": "a statement", "locator": None}


def test_an_input_named_alike_is_handed_on_as_it_is():
    organization = {"name": "MTZ", "city": None, "citations": [CITATION], "aliases": [{"name": "Minsk Tractor"}]}
    assert _plain(ORGANIZATION_PATCH, organization) is organization


def test_a_bulk_record_is_converted_only_if_it_holds_a_field_that_changes():
    of_an_organization = {"scheme": "crm", "value": "1", "organization": {"name": "MTZ", "citations": [CITATION]}}
    assert _plain(BulkRecordInput, of_an_organization) is of_an_organization
    person = {"displayName": "V. Kebich", "citations": [CITATION]}
    of_a_person = {"scheme": "crm", "value": "2", "person": person}
    assert _plain(BulkRecordInput, of_a_person) == {
        "scheme": "crm", "value": "2", "person": {"display_name": "V. Kebich", "citations": [CITATION]}}


def test_camel_case_names_become_python_names_at_any_depth():
    person = {"displayName": "V. Kebich", "familyName": None, "citations": [CITATION],
              "positions": [{"title": "Prime Minister", "asOf": "1994", "citations": [CITATION]}]}
    assert _plain(PERSON_PATCH, person) == {  # a null is kept, a field left out stays out
        "display_name": "V. Kebich", "family_name": None, "citations": [CITATION],
        "positions": [{"title": "Prime Minister", "as_of": "1994", "citations": [CITATION]}],
    }
