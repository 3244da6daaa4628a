"""The base of every form of the app."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict


class BaseForm(FlaskForm):
    """A FlaskForm that reads only what a browser's form sends.

    - A JSON body is not form input: no page posts JSON, and Flask-WTF would hand its
      lists and objects to fields that expect text (or fail on a body that is not an
      object). The form then reads as if nothing was posted.
    - NUL characters are taken out of every value. No keyboard types one, and PostgreSQL
      cannot store one in text: the statement that saves or searches it would fail.
    - A multipart part without a name (werkzeug files it under the key None) is dropped:
      no field has that name, and WTForms' row lists fail on a key that is not text.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            # Flask-WTF's marker for "read the request" is the only formdata without getlist.
            if formdata is not None and not hasattr(formdata, "getlist") and request and request.is_json:
                formdata = None
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            pairs = list(formdata.items(multi=True))
            if not any((isinstance(value, str) and "\x00" in value) or not isinstance(key, str)
                       for key, value in pairs):
                return formdata
            return MultiDict([(key, value.replace("\x00", "") if isinstance(value, str) else value)
                              for key, value in pairs if isinstance(key, str)])
