"""Authenticator (TOTP) secrets encrypted at rest with TOTP_ENCRYPTION_KEYS.

The column is widened for Fernet tokens and every secret still in the clear is encrypted
with the first configured key; downgrade decrypts them back (with any configured key)
and narrows the column again. Values already in the other form are left alone, so a run
that stopped half-way can simply be run again.

The key derivation is copied here on purpose, not imported: a migration must keep doing
what it did when it was written (app/secrets_at_rest.py may change; a test holds the two
together).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import base64
import re

from alembic import context, op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_PLAIN = re.compile(r'[A-Z2-7]+=*')
_users = sa.table('users', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))


def _cipher():
    keys = [k.strip() for k in (current_app.config.get('TOTP_ENCRYPTION_KEYS') or '').split(',') if k.strip()]
    if not keys:
        raise RuntimeError('TOTP_ENCRYPTION_KEYS is not set: the migration needs it to encrypt '
                           'the authenticator secrets.')
    return MultiFernet([
        Fernet(base64.urlsafe_b64encode(HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b'evangelist-network totp-secret v1',
        ).derive(key.encode())))
        for key in keys
    ])


def _secrets(connection):
    return connection.execute(
        sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None))
    ).all()


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret',
               existing_type=sa.String(length=64),
               type_=sa.String(length=255),
               existing_nullable=True)

    if context.is_offline_mode():
        # `flask db upgrade --sql` cannot read the rows; rotate-key encrypts plain secrets.
        op.execute("-- then run `flask totp rotate-key`: it encrypts the secrets still in the clear")
        return
    connection = op.get_bind()
    rows = [(id_, value) for id_, value in _secrets(connection) if _PLAIN.fullmatch(value)]
    if rows:
        cipher = _cipher()
        for id_, value in rows:
            connection.execute(_users.update().where(_users.c.id == id_)
                               .values(totp_secret=cipher.encrypt(value.encode()).decode()))
        _bump_data_version(connection)


def downgrade():
    if context.is_offline_mode():
        raise RuntimeError('0006 decrypts the authenticator secrets on the way down: run it online.')
    connection = op.get_bind()
    rows = [(id_, value) for id_, value in _secrets(connection) if not _PLAIN.fullmatch(value)]
    if rows:
        cipher = _cipher()  # raises InvalidToken, and changes nothing, if a key is missing
        for id_, value in rows:
            connection.execute(_users.update().where(_users.c.id == id_)
                               .values(totp_secret=cipher.decrypt(value.encode()).decode()))
        _bump_data_version(connection)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret',
               existing_type=sa.String(length=255),
               type_=sa.String(length=64),
               existing_nullable=True)


def _bump_data_version(connection):
    # These writes go around the ORM session, so they count the data version themselves
    # (app/models/system.py), as every transaction that writes must.
    connection.execute(sa.text('UPDATE data_version SET number = number + 1 WHERE id = 1'))
