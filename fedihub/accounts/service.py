"""Creating accounts, checking passwords, and deciding who may act for a hub."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from fedihub.accounts import store as accounts
from fedihub.accounts.store import Account
from fedihub.actors import store
from fedihub.actors.keyring import generate_rsa_keypair
from fedihub.actors.model import LocalActor, valid_username
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.db import Database
from fedihub.errors import BadRequest, Conflict, Forbidden

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """For timing (see check_password); made when first needed, not by every process that
    imports this (each command, each server start), which would pay a hash for nothing."""
    return _hasher.hash("not anyone's password")


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            "the password must have at least %(min)s characters", min=MIN_PASSWORD_LENGTH
        )


async def check_new_account(db: Database, username: str, password: str) -> None:
    """Everything create_account would refuse, checked without creating anything."""
    if not valid_username(username):
        raise BadRequest(
            "invalid username %(name)r: use 1-30 lower-case letters, digits or underscores",
            name=username,
        )
    check_new_password(password)
    if await store.get_actor_by_username(db, username):
        raise Conflict("the name %(name)r is already taken on this instance", name=username)


async def create_account(
    db: Database, username: str, password: str, *, is_admin: bool, clock: Clock = SYSTEM_CLOCK
) -> int:
    await check_new_account(db, username, password)
    public_pem, private_pem = generate_rsa_keypair()
    async with db.transaction() as tx:
        actor_id = await store.insert_actor(
            tx,
            kind="person",
            username=username,
            name=username,
            summary="",
            manually_approves_followers=False,
            public_key_pem=public_pem,
            private_key_pem=private_pem,
            created_at=clock.now(),
        )
        await accounts.insert_account(tx, actor_id, _hasher.hash(password), is_admin=is_admin)
    return actor_id


async def check_password(db: Database, username: str, password: str) -> Account | None:
    """The account, if the password is right. Argon2 is slow by design (tens of ms of CPU):
    it runs in a thread, and a missing account costs as much as a wrong password."""
    account = await accounts.get_account(db, username)
    stored = await accounts.password_hash(db, account.actor.id if account else -1)
    try:
        await asyncio.to_thread(lambda: _hasher.verify(stored or _dummy_hash(), password))
    except (VerifyMismatchError, InvalidHashError):
        return None
    return account if stored else None


async def set_password(db: Database, account: Account, password: str) -> None:
    check_new_password(password)
    hashed = await asyncio.to_thread(_hasher.hash, password)
    await accounts.set_password_hash(db, account.actor.id, hashed)


async def require_account(db: Database, username: str) -> Account:
    account = await accounts.get_account(db, username)
    if account is None:
        raise BadRequest("no account named %(name)r", name=username)
    return account


async def account_by_id(db: Database, actor_id: int) -> Account | None:
    actor = await store.get_actor_by_id(db, actor_id)
    return await accounts.get_account(db, actor.username) if actor else None


async def require_can_act_for(db: Database, account: Account, actor: LocalActor) -> None:
    """Admins act for any hub; others for the hubs they organise, and for themselves. A
    suspended account acts for none."""
    if account.suspension is not None:
        raise Forbidden("%(account)s is suspended", account=account.actor.username)
    if account.is_admin or actor.id == account.actor.id:
        return
    if actor.kind == "group" and await store.is_organizer(db, actor.id, account.actor.id):
        return
    raise Forbidden(
        "%(account)s does not organise %(hub)s", account=account.actor.username, hub=actor.username
    )
