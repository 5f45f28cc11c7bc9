"""core.forms.SelectField: its options are written without WTForms' per-option machinery, and read the same as
WTForms writes them, whatever the values (escaped), the chosen one, options with attributes of their own and groups."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms import SelectField as WTFormsSelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from core.forms import SelectField, optional_int


def _both(choices, chosen=None, coerce=str):
    """The same field rendered by ours and by WTForms' own widget."""

    class Ours(Form):
        field = SelectField("Field", choices=choices, coerce=coerce)

    form = Ours(MultiDict({"field": chosen}) if chosen is not None else None)
    return str(form.field()), str(Select()(form.field))


def test_plain_options_read_as_wtforms_writes_them_with_the_chosen_one_selected():
    ours, theirs = _both(
        [SelectChoice(1, "One"), SelectChoice(2, "Two"), SelectChoice(3, "Three")], chosen="2", coerce=optional_int
    )
    assert ours == theirs
    assert '<option selected value="2">Two</option>' in ours
    assert ours.count("selected") == 1


def test_values_and_labels_are_escaped():
    ours, theirs = _both(
        [SelectChoice('a"&<b>', "<script>alert(1)</script>"), SelectChoice("", "Any")], chosen='a"&<b>'
    )
    assert ours == theirs
    assert "<script>" not in ours
    assert 'value="a&#34;&amp;&lt;b&gt;"' in ours


def test_a_true_or_false_value_is_written_as_its_name():
    ours, theirs = _both([SelectChoice(True, "Yes"), SelectChoice(False, "No")])
    assert ours == theirs
    assert 'value="True"' in ours and 'value="False"' in ours


def test_an_option_with_attributes_of_its_own_and_groups_go_through_wtforms():
    choices = [
        SelectChoice("n1", "North 1", optgroup="North"),
        SelectChoice("n2", "North 2", render_kw={"disabled": True}, optgroup="North"),
        SelectChoice("s1", "South 1", optgroup="South"),
    ]
    ours, theirs = _both(choices, chosen="s1")
    assert ours == theirs
    assert '<optgroup label="North">' in ours
    assert "disabled" in ours


def test_the_field_is_still_wtforms_select_field():
    assert issubclass(SelectField, WTFormsSelectField)
    assert SelectField("x").bind(Form(), "x").type == "SelectField"
