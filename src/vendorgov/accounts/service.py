"""Accounts: who can log in, with which role, and their API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import anyio
import msgspec
from piccolo.apps.user.tables import BaseUser

from vendorgov import db, paging, stores
from vendorgov.accounts import people as name_cache
from vendorgov.accounts.roles import ROLE_LABELS, Principal, Role, parse_role
from vendorgov.accounts.rules import acceptable_for_login, password_errors
from vendorgov.accounts.tables import Account, ApiToken
from vendorgov.audit import service as audit
from vendorgov.errors import Collector, Conflict, FieldError, InvalidInput, NotFound
from vendorgov.i18n import N_, _, valid_locale
from vendorgov.paging import Page, PageRequest
from vendorgov.vendors import service as vendors

TOKEN_PREFIX = "vg_"
# last_used_at is a hint for the owner, not a log: refresh it at most this often.
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
_DUMMY_HASH = BaseUser.hash_password("not a password")
# Integrations call the API in bursts with the same token; looking it up on every call was a
# sixth of a vendor create under load. A known token's principal is kept this long. Revoking a
# token or deactivating an account empties the cache at once: in every process when it is in
# Redis, else in this one, and other processes (and changes made with the CLI) take effect
# within this delay.
TOKEN_CACHE_SECONDS = 10
_PRINCIPAL_CODEC = msgspec.json.Encoder(), msgspec.json.Decoder(Principal)


def _now() -> datetime:
    return datetime.now(UTC)


# Every request resolves its principal, so these two lookups are plain SQL: Piccolo's query
# builder costs about a millisecond per joined select, more than the database does.
_PRINCIPAL_COLUMNS = (
    "u.id AS user_id, u.username, u.active, a.role, a.display_name, a.vendor AS vendor_id, "
    "a.credentials_version, a.language"
)
_PRINCIPAL_BY_USER = (
    f"SELECT {_PRINCIPAL_COLUMNS} FROM account a "
    'JOIN piccolo_user u ON u.id = a."user" WHERE a."user" = {}'
)
_PRINCIPAL_BY_TOKEN = (
    f"SELECT t.id AS token_id, t.last_used_at, {_PRINCIPAL_COLUMNS} FROM api_token t "
    'JOIN piccolo_user u ON u.id = t."user" JOIN account a ON a."user" = u.id '
    "WHERE t.token_hash = {} AND t.revoked_at IS NULL"
)


def _principal(row: dict | None) -> Principal | None:
    if row is None or not row["active"] or parse_role(row["role"]) is None:
        return None
    return Principal(
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        vendor_id=row["vendor_id"],
        credentials_version=row["credentials_version"],
        language=row["language"],
    )


async def principal_for_user(user_id: object) -> Principal | None:
    if not isinstance(user_id, int):
        return None
    rows = await db.fetch(_PRINCIPAL_BY_USER, user_id)
    return _principal(rows[0] if rows else None)


async def principal_for_session(user_id: object, credentials_version: object) -> Principal | None:
    """The principal of a login session, unless its account's password was reset or the
    account (de)activated since the session began."""
    principal = await principal_for_user(user_id)
    if principal is None or principal.credentials_version != credentials_version:
        return None
    return principal


def _verify_password(password: str, stored: str) -> bool:
    _, iterations, salt, _ = BaseUser.split_stored_password(stored)
    candidate = BaseUser.hash_password(password, salt, int(iterations))
    return hmac.compare_digest(candidate, stored)


async def authenticate(username: str, password: str) -> Principal | None:
    """Check a password with Piccolo's PBKDF2 hashing, in a worker thread (it takes ~0.3 s
    by design), comparing against a dummy hash for unknown names so timing tells nothing."""
    if not acceptable_for_login(username.strip(), password):
        return None
    row = await (
        BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active)
        .where(BaseUser.username == username.strip())
        .first()
    )
    stored = row["password"] if row else _DUMMY_HASH
    ok = await anyio.to_thread.run_sync(_verify_password, password, stored)
    if not (row and ok and row["active"]):
        return None
    # Piccolo's user table keeps last_login as a naive timestamp: store UTC without zone.
    await BaseUser.update({BaseUser.last_login: _now().replace(tzinfo=None)}).where(
        BaseUser.id == row["id"]
    )
    return await principal_for_user(row["id"])


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def principal_for_token(token: str) -> Principal | None:
    digest = _token_digest(token)
    cached = await stores.cache(stores.TOKENS).get(digest)
    if cached is not None:
        return _PRINCIPAL_CODEC[1].decode(cached)
    rows = await db.fetch(_PRINCIPAL_BY_TOKEN, digest)
    if not rows:
        return None
    row, now = rows[0], _now()
    last_used = row["last_used_at"]
    if isinstance(last_used, str):  # SQLite returns computed-alias columns undecoded
        last_used = datetime.fromisoformat(last_used)
    if last_used is None or now - last_used > _TOKEN_TOUCH_INTERVAL:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["token_id"])
    principal = _principal(row)
    if principal is not None:
        await stores.cache(stores.TOKENS).set(
            digest, _PRINCIPAL_CODEC[0].encode(principal), expires_in=TOKEN_CACHE_SECONDS
        )
    return principal


async def forget_tokens() -> None:
    """Drop the cached token principals (after a revocation or an account change)."""
    await stores.cache(stores.TOKENS).delete_all()


def _account_errors(
    username: str, password: str | None, role: str, display_name: str, vendor_id: int | None
) -> Collector:
    errors = Collector()
    if (
        not username
        or len(username) > 100
        or not username.replace("_", "").replace(".", "").replace("-", "").isalnum()
    ):
        errors.add("username", "format", _("Username: use 1–100 letters, digits, '.', '-' or '_'."))
    if password is not None:
        errors.errors += password_errors(password, username)
    parsed = parse_role(role)
    if parsed is None:
        errors.add(
            "role",
            "unknown_role",
            _(
                "Role: unknown role “%(role)s”; use one of %(roles)s.",
                role=role,
                roles=", ".join(r.value for r in Role),
            ),
        )
    if not display_name.strip():
        errors.add("display_name", "required", _("Display name: required."))
    if parsed is Role.vendor and vendor_id is None:
        errors.add(
            "vendor_id",
            "required_for_vendor_role",
            _("Vendor: a vendor user must name its vendor."),
        )
    if parsed is not None and parsed is not Role.vendor and vendor_id is not None:
        errors.add(
            "vendor_id",
            "only_for_vendor_role",
            _("Vendor: only vendor users belong to a vendor; leave it empty."),
        )
    return errors


async def create_account(
    actor: audit.Actor,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str,
    email: str = "",
    vendor_id: int | None = None,
) -> int:
    username = username.strip()
    errors = _account_errors(username, password, role, display_name, vendor_id)
    errors.raise_if_any()
    if vendor_id is not None:
        await vendors.require_vendor(vendor_id)
    taken = Conflict(_("The username %(name)s is taken; choose another.", name=username))
    async with db.transaction():
        if await BaseUser.exists().where(BaseUser.username == username):
            raise taken
        user = BaseUser(
            username=username,
            password=password,
            email=email or f"{username}@invalid",
            active=True,
            admin=role == Role.admin,
            superuser=role == Role.admin,
        )
        try:
            await user.save()
        except Exception as error:  # the same name created at the same moment
            if db.is_unique_violation(error):
                raise taken from None
            raise
        account = Account(
            user=user.id, role=role, display_name=display_name.strip(), vendor=vendor_id
        )
        await account.save()
        await audit.record(
            actor,
            "account",
            user.id,
            "create",
            None,
            {
                "username": username,
                "role": role,
                "display_name": display_name,
                "vendor_id": vendor_id,
                "active": True,
            },
        )
    name_cache.forget()
    return user.id


ACCOUNT_SORTS = {
    "username": Account.user.username,
    "display_name": Account.display_name,
    "role": Account.role,
    "last_login": Account.user.last_login,
}
TOKEN_SORTS = {"name": ApiToken.name, "created_at": ApiToken.created_at}


async def list_accounts(
    *, q: str = "", role: str = "", request: PageRequest = PageRequest()
) -> Page:
    """A page of the accounts, by role then username; searched by username or name."""
    where = []
    if role:
        where.append(Account.role == role)
    q = q.strip()
    if q:
        where.append(db.icontains(Account.user.username, q) | db.icontains(Account.display_name, q))
    query = Account.select(
        Account.id,
        Account.user.id.as_alias("user_id"),
        Account.user.username.as_alias("username"),
        Account.user.active.as_alias("active"),
        Account.user.last_login.as_alias("last_login"),
        Account.role,
        Account.display_name,
        Account.vendor.as_alias("vendor_id"),
        Account.vendor.name.as_alias("vendor_name"),
    )
    page = await paging.fetch_page(
        Account,
        query,
        where,
        request,
        ACCOUNT_SORTS,
        [(Account.role, True), (Account.user.username, True)],
    )
    rows = page.items
    for row in rows:
        row["role_label"] = ROLE_LABELS[Role(row["role"])]
    return page


async def end_sessions(user_id: int, revoke_tokens: bool) -> None:
    """Inside the caller's transaction: raise the account's credentials version, which ends
    its login sessions (they carry the old one), and revoke its API tokens. Reactivating an
    account raises the version too, so no session from before revives."""
    await Account.update({Account.credentials_version: Account.credentials_version + 1}).where(
        Account.user == user_id
    )
    if revoke_tokens:
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(
            (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
        )
    await forget_tokens()


async def set_active(actor: audit.Actor, user_id: int, active: bool) -> None:
    async with db.transaction():
        row = await db.locked(
            BaseUser.select(BaseUser.active).where(BaseUser.id == user_id)
        ).first()
        if row is None:
            raise NotFound(N_("account"), user_id)
        if row["active"] == active:
            return  # already so (a repeated or concurrent request): nothing to change
        if not active and user_id == actor.user_id:
            raise Conflict(_("You cannot deactivate your own account; ask another administrator."))
        await BaseUser.update({BaseUser.active: active}).where(BaseUser.id == user_id)
        await end_sessions(user_id, revoke_tokens=not active)
        await audit.record(
            actor,
            "account",
            user_id,
            "activate" if active else "deactivate",
            {"active": row["active"]},
            {"active": active},
        )


async def set_language(actor: audit.Actor, language: str) -> None:
    """The user's own interface language. A conditional update: a repeated choice changes
    nothing and records nothing."""
    if valid_locale(language) is None:
        raise InvalidInput(
            [FieldError("language", "one_of", _("Choose one of: %(names)s", names="zh_CN, en"))]
        )
    async with db.transaction():
        before = await db.locked(
            Account.select(Account.language).where(Account.user == actor.user_id)
        ).first()
        if before is None:
            raise NotFound(N_("account"), actor.user_id)
        if before["language"] == language:
            return
        await Account.update({Account.language: language}).where(Account.user == actor.user_id)
        await audit.record(
            actor, "account", actor.user_id, "set_language", before, {"language": language}
        )


async def set_password(actor: audit.Actor, user_id: int, password: str) -> None:
    """An administrator's reset: the user's sessions and API tokens end with it."""
    row = await BaseUser.select(BaseUser.username).where(BaseUser.id == user_id).first()
    if row is None:
        raise NotFound(N_("account"), user_id)
    errors = password_errors(password, row["username"])
    if errors:
        raise InvalidInput(errors)
    hashed = await anyio.to_thread.run_sync(BaseUser.hash_password, password)
    async with db.transaction():
        changed = (
            await BaseUser.update({BaseUser.password: hashed})
            .where(BaseUser.id == user_id)
            .returning(BaseUser.id)
        )
        if not changed:
            raise NotFound(N_("account"), user_id)
        await end_sessions(user_id, revoke_tokens=True)
        await audit.record(actor, "account", user_id, "set_password", None, None)


async def create_token(actor: Principal, name: str) -> tuple[int, str]:
    """Return the new token's id and its text, which is never shown again."""
    name = name.strip()
    errors = Collector()
    if not name or len(name) > 100:
        errors.add("name", "required", _("Name: give the token a name of 1–100 characters."))
    errors.raise_if_any()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction():
        row = ApiToken(
            user=actor.user_id,
            name=name,
            prefix=token[:10],
            token_hash=_token_digest(token),
            created_at=_now(),
        )
        await row.save()
        await audit.record(
            actor,
            "api_token",
            row.id,
            "create",
            None,
            {"name": name, "prefix": row.prefix, "user_id": actor.user_id},
        )
    return row.id, token


async def list_tokens(user_id: int, request: PageRequest = PageRequest()) -> Page:
    """A page of the user's tokens, newest first."""
    query = ApiToken.select(
        ApiToken.id,
        ApiToken.name,
        ApiToken.prefix,
        ApiToken.created_at,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
    )
    return await paging.fetch_page(
        ApiToken,
        query,
        [ApiToken.user == user_id],
        request,
        TOKEN_SORTS,
        [(ApiToken.id, False)],
    )


async def revoke_token(actor: Principal, token_id: int) -> None:
    async with db.transaction():
        row = (
            await ApiToken.select(ApiToken.user, ApiToken.revoked_at)
            .where(ApiToken.id == token_id)
            .first()
        )
        # Someone else's token is reported as missing, not forbidden: ids reveal nothing.
        if row is None or (row["user"] != actor.user_id and actor.role is not Role.admin):
            raise NotFound(N_("API token"), token_id)
        if row["revoked_at"] is not None:
            return
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(ApiToken.id == token_id)
        await forget_tokens()
        await audit.record(actor, "api_token", token_id, "revoke", None, None)


async def user_id_for(username: str) -> int | None:
    row = await BaseUser.select(BaseUser.id).where(BaseUser.username == username).first()
    return row["id"] if row else None


async def has_accounts() -> bool:
    return await Account.exists()


async def active_accounts(role: Role) -> list[dict]:
    """Active accounts with a role (e.g. the evaluators a tender panel is drawn from)."""
    rows = (
        await Account.select(
            Account.user.id.as_alias("user_id"),
            Account.user.username.as_alias("username"),
            Account.display_name,
            Account.role,
        )
        .where((Account.role == role.value) & (Account.user.active == True))  # noqa: E712
        .order_by(Account.user.username)
    )
    for row in rows:
        row["role_label"] = ROLE_LABELS[role]
    return rows


# A picker of people offers at most this many, found by name.
PEOPLE_PICKER_ITEMS = 50


async def find_people(
    roles: tuple[Role, ...], q: str = "", vendor_id: int | None = None
) -> list[dict]:
    """Active accounts with one of these roles (and of this vendor), by display name: the
    first PEOPLE_PICKER_ITEMS whose display name contains `q`, for pages that choose a person
    by name. Each with user_id, display_name, role, vendor_id and vendor_name."""
    where = Account.role.is_in([r.value for r in roles]) & (
        Account.user.active == True  # noqa: E712
    )
    if vendor_id is not None:
        where &= Account.vendor == vendor_id
    if q.strip():
        where &= db.icontains(Account.display_name, q.strip())
    return (
        await Account.select(
            Account.user.id.as_alias("user_id"),
            Account.display_name,
            Account.role,
            Account.vendor.as_alias("vendor_id"),
            Account.vendor.name.as_alias("vendor_name"),
        )
        .where(where)
        .order_by(Account.display_name)
        .order_by(Account.user.id)
        .limit(PEOPLE_PICKER_ITEMS)
    )


async def recipients(
    user_ids: tuple[int, ...] = (), roles: tuple[Role, ...] = (), vendor_ids: tuple[int, ...] = ()
) -> list[dict]:
    """The active people a message goes to: these users, everyone with these roles, and a
    vendor's users; each once, with their display name and language ("" if not chosen)."""
    # Plain SQL: every notification reads it, filing a service request among them.
    parts, args = [], []
    for column, values in (
        ('a."user"', user_ids),
        ("a.role", tuple(r.value for r in roles)),
        ("a.vendor", vendor_ids),
    ):
        if values:
            parts.append(f"{column} IN ({', '.join(['{}'] * len(values))})")
            args += values
    if not parts:
        return []
    return await db.fetch(
        'SELECT a."user" AS user_id, a.display_name, a.role, a.vendor, a.language '
        'FROM account a JOIN piccolo_user u ON u.id = a."user" '
        f"WHERE ({' OR '.join(parts)}) AND u.active = {{}}",
        *args,
        True,
    )


async def people(usernames: list[str]) -> dict[str, dict]:
    """How documents name people: each username's display name and role (one query), so a
    notice or a timeline shows 李强 · Supervisor, never a login name or an id. Names that are
    no account (a process acting alone) are left out: the caller says who that was."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = await Account.select(
        Account.user.username.as_alias("username"), Account.display_name, Account.role
    ).where(Account.user.username.is_in(wanted))
    return {r["username"]: {"name": r["display_name"], "role": parse_role(r["role"])} for r in rows}
