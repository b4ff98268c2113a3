"""More secret kinds for the scrub corpus, and near-misses that must stay as they are.

Every sample is a random fake in the vendor's published format (prefix, alphabet, length);
none was ever a live credential. Each tuple is (kind, planted text, what must never be seen).
"""

from __future__ import annotations

SSH_PRIVATE = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBvYxHostileSampleOnlyNotARealKeyAtAllxx0000000000000AAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
PGP_PRIVATE = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
    "lQOYBGXhostileSampleOnlyNotARealPgpKeyBodyAAAAAAAAAAAAAAAAAAAAAAAA\n=abcd\n"
    "-----END PGP PRIVATE KEY BLOCK-----"
)
GCP_SERVICE_ACCOUNT = (
    '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCHostileGcpSample\\n"
    '-----END PRIVATE KEY-----\\n"}'
)
ENCRYPTED_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B2C3D\n\n"
    "EncryptedHostilePemBodyZz09Yy87Xx65Ww43Vv21Uu09Tt87Ss65Rr43\n-----END RSA PRIVATE KEY-----"
)
AZURE_ACCOUNT_KEY = (
    "UZKYiCy6AbaCQYAhIcXhsCAIdB89Sr6wnyclVKmtexpDSA3lxl7kettuA1fToZ0HpXyT4V3cSykBX0hB0RfZSc=="
)
AMZ_SIGNATURE = "58d66a6cd1957c991da32628391036d2fee1d2a80d3bd64b7b40afe2a6163e32"
AMZ_TOKEN = "IQoJb3JpZ2luX2Vjdj6iHFjO/lcg4xhAofSfx6jY3LnwwiXqGOsbXX0ShE5obqVcg0kTuDZFgozHHUZrAInw67"
GOOG_SIGNATURE = "26d7747cf0f97c4ecd57fc5ae124aeac1ecbb2af2f4a7aa105e8f428133514a1"
DSN_KEY = "0f139cd804b692a3d184eadecdbadc59"

EXTRA_SECRETS: list[tuple[str, str, str]] = [
    ("stripe_secret", "sk_live_xEEsAoCaA2QTqpOoast0vQj8", "xEEsAoCaA2QTqpOoast0vQj8"),
    ("stripe_restricted", "rk_test_VMtbYo9Mqb5jZMQObDDMOTso", "VMtbYo9Mqb5jZMQObDDMOTso"),
    (
        "stripe_webhook",
        "whsec_YtxqAYfwFBHPl8KsLcsf1YaHxpFjttuD",
        "YtxqAYfwFBHPl8KsLcsf1YaHxpFjttuD",
    ),
    (
        "google_api_key",
        "key AIza6iv9b4_b8p6k-csDZVefZO9jDOmlpFbYfog",
        "6iv9b4_b8p6k-csDZVefZO9jDOmlpF",
    ),
    ("google_oauth_secret", "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", "82Wzj5OSqplLapHp6hgPjryAczD4"),
    (
        "google_access_token",
        "ya29.76Hehdz2GXnBo1nKo63sZEqqZ3CYxU-w0A2c_MLpjN-E8A4r_knOh7k-gQvm",
        "76Hehdz2GXnBo1nKo63sZEqqZ3CYxU",
    ),
    ("gcp_service_account", GCP_SERVICE_ACCOUNT, "HostileGcpSample"),
    (
        "azure_storage",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
        f"{AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        AZURE_ACCOUNT_KEY[:40],
    ),
    (
        "azure_sas",
        "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sr=b&sp=r"
        "&sig=PjAp9ukzdyc3zO2VCP7cj59akV4mQLsNQLA91bdh%3D",
        "PjAp9ukzdyc3zO2VCP7cj59akV4mQLsNQLA91bdh",
    ),
    (
        "azure_client_secret",
        "client 50H8Q~aqOkM5s2K0ksfMHM4OjHWN9cpoQZI5LBIb rejected",
        "aqOkM5s2K0ksfMHM4OjHWN9cpoQZI5LBIb",
    ),
    (
        "openai_key",
        "sk-proj-ESaUm3fZAj9Lo7vAKXgV1r41YWaukxALsxWnkPmZUHcIfraT",
        "ESaUm3fZAj9Lo7vAKXgV1r41YWaukxALsxWnkPmZUHcIfraT",
    ),
    (
        "anthropic_key",
        "sk-ant-api03-cmIynp--TcaiG1pQ19WEzNuCxwXTjsdAs0lHL2RPYzQF6dcSc400lsEFcwfvHCU_e-qFO81VQFL0b0aA3taBrdmzEZJb6",
        "cmIynp--TcaiG1pQ19WEzNuCxwXTjsdAs0lHL2RPYzQF6dcSc400",
    ),
    (
        "huggingface_token",
        "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",
        "duVtuSvXppcHsjTquwhpfFdtOprzHjUsGd",
    ),
    (
        "npm_token",
        "npm_0wyanwfQuvxBGtpMZh4mNU5MP4fLi38BJlV5",
        "0wyanwfQuvxBGtpMZh4mNU5MP4fLi38BJlV5",
    ),
    (
        "pypi_token",
        "pypi-AgEIcHlwaS5vcmcqzuB7FAs2KemDVLDhnblmuseX3UNDuwRSY1EM0tSn1W_TsWF23xz3iW0nbF7",
        "qzuB7FAs2KemDVLDhnblmuseX3UNDuwRSY1EM0tSn1W",
    ),
    (
        "sendgrid_key",
        "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",
        "FVJUO4lFRbFl4MTuVlXR-qtmVZLyeQLGuSNNr23WaIN",
    ),
    ("twilio_key", "SK9ebf9aa91e5fbd602af081ffbc79cac8", "9ebf9aa91e5fbd602af081ffbc79cac8"),
    ("mailgun_key", "key-a8626b9530d9fbb66d5c929f6e197e1c", "a8626b9530d9fbb66d5c929f6e197e1c"),
    ("shopify_token", "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", "13a266cee3e302bb83f827d64f119050"),
    (
        "digitalocean_token",
        "dop_v1_535cc4b34202110ec0eb0e63361c8250982b0016647de8ec9e9057ae884c33fe",
        "535cc4b34202110ec0eb0e63361c8250982b0016647de8ec9e9057ae884c33fe",
    ),
    (
        "vault_token",
        "hvs.SAkxHpzkfrVQxkUEC9d96WtGxLlE04wCDdW42oQ6Y4as4qQ3v5pFRgYGV7SxOP35cICwiLPs21TnWXeHMod5E8Ejv6",
        "SAkxHpzkfrVQxkUEC9d96WtGxLlE04wCDdW42oQ6Y4as",
    ),
    (
        "terraform_token",
        "5aiYVetgDQtcuF.atlasv1.K6snnTuhw5obSpJpbOMHBQrKN3mmMnxKvXUCj6Np54CGlUks51YWRYwlUUNmKWhJ4AZ",
        "K6snnTuhw5obSpJpbOMHBQrKN3mmMnxKvXUCj6Np54CGlUks51YWRYwlUUNmKWhJ4AZ",
    ),
    (
        "sentry_auth_token",
        "sntrys_T8vEZvJL355xAw2POuN2ZlCe24CEWQfsX0njMIh6rVneD2d9h8Vp1atIBPNi",
        "T8vEZvJL355xAw2POuN2ZlCe24CEWQfsX0njMIh6rVneD2d9h8Vp1atIBPNi",
    ),
    ("sentry_dsn", f"https://{DSN_KEY}@o1.ingest.sentry.io/42", DSN_KEY),
    (
        "linear_key",
        "lin_api_XKSOoFOmmtHxrDVFT6fypttV6VSNDHGf9Erw1VEd",
        "XKSOoFOmmtHxrDVFT6fypttV6VSNDHGf9Erw1VEd",
    ),
    (
        "doppler_token",
        "dp.pt.Gs0DyLAfQHlIDhdYwn4NCpWKeH6b9k5QliF46Brrbhe",
        "Gs0DyLAfQHlIDhdYwn4NCpWKeH6b9k5QliF46Brrbhe",
    ),
    (
        "atlassian_token",
        "ATATT3ekgVup4q6tKkdeWJLKM107lNdZx98dX7=kbfueXaEj7bUIDd_3wslT_1-Tnek1JhSEhi3rzATTUC_097=ljWH1MbCqlj0BPzEdSBHhrwEgHJVwFd_JgG7T29Ux=T--Fq5_f3T=Htt4oyrJ8u3fUrp-m4fKUwx9r_1E7-iy8ceR5P5FiQmHDZ",
        "ekgVup4q6tKkdeWJLKM107lNdZx98dX7",
    ),
    (
        "age_key",
        "AGE-SECRET-KEY-1L8E97TCQOP3KXYOILG38Y6ONBH9ORP3SOZTU9PS2WGSPPKQG0CIEXKHFDG",
        "L8E97TCQOP3KXYOILG38Y6ONBH9ORP3SOZTU9PS2WGSPPKQG0CIEXKHFDG",
    ),
    (
        "telegram_bot_token",
        "bot 523277545:AAeY6LHzTNqcdCQEkU6HojQc4P4h8KLtb_1 failed",
        "AAeY6LHzTNqcdCQEkU6HojQc4P4h8KLtb_1",
    ),
    (
        "discord_webhook",
        "https://discord.com/api/webhooks/657198986420179829/X7VgfaSUVQnkHW8ggm-t_8-EQ1GA06RUi2a0PywXND5IBRneJb4Nu5tG4TR69zqYbFce",
        "X7VgfaSUVQnkHW8ggm-t_8-EQ1GA06RUi2a0PywXND5IBRneJb4Nu5tG4TR69zqYbFce",
    ),
    ("gitlab_token", "glpat-0U2cuWscdyJJu4KwHDM9", "0U2cuWscdyJJu4KwHDM9"),
    ("database_url", "postgresql://app:Db-Pa55word-77@db.internal:5432/app", "Db-Pa55word-77"),
    (
        "mongodb_url",
        "mongodb+srv://svc:Mongo-Pa55-88@cluster0.ab1cd.mongodb.net/prod",
        "Mongo-Pa55-88",
    ),
    ("basic_auth_url", "GET https://ci:Basic-Url-Pa55@jenkins.internal/job/x", "Basic-Url-Pa55"),
    (
        "password_in_query",
        "POST https://h.example/login?user=ann&password=Query-Pw-0042&next=%2F",
        "Query-Pw-0042",
    ),
    (
        "aws_signed_url",
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAQWERTYUIOPASDF34%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature={AMZ_SIGNATURE}",
        AMZ_SIGNATURE,
    ),
    ("aws_session_token", f"X-Amz-Security-Token={AMZ_TOKEN}&x=1", AMZ_TOKEN[:40]),
    (
        "gcs_signed_url",
        "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256"
        f"&X-Goog-Signature={GOOG_SIGNATURE}",
        GOOG_SIGNATURE,
    ),
    (
        "set_cookie",
        "Set-Cookie: session=SetCookie-Value-0099; Path=/; HttpOnly",
        "SetCookie-Value-0099",
    ),
    ("openssh_private_key", SSH_PRIVATE, "HostileSampleOnlyNotARealKey"),
    ("pgp_private_key", PGP_PRIVATE, "hostileSampleOnlyNotARealPgpKey"),
    ("encrypted_pem", ENCRYPTED_PEM, "EncryptedHostilePemBody"),
    (
        "authorization_header_json",
        '{"headers": {"authorization": "Sentry sentry_key=Hdr-Key-0123456789, sentry_version=7"}}',
        "Hdr-Key-0123456789",
    ),
]

NEAR_MISSES: list[str] = [
    "commit 3f786850e387550fdab836ed7e6dc881de23001b broke the build",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 mismatch",
    "request 123e4567-e89b-12d3-a456-426614174000 timed out",
    "ImportError: No module named sk-learn (did you mean scikit-learn?)",
    "see https://example.com/a:b/c for details",
    "could not connect to postgres://app@db.internal:5432/app",
    "order 4111111111111112 not found",
    "author=bob tokenizer=fast authentication failed",
    "SKU SK-1234 is out of stock",
    "key-value store unavailable",
    "ERROR at 2024-03-07T10:15:02Z in worker-3",
    "version 1.2.3-beta+build.5 deployed",
    "AIza is a Google key prefix",
    "query sig=abc rejected",
    "hf_hub_download failed: 404",
    "npm_config_cache=/tmp/npm is not writable",
    "https://hooks.example.com/services/x returned 500",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCYybVYHuCAUeQftHupwdX8XzBkFOTxt8Nyiq/ne7hJkBb1AmsKJ3UzCvGcGUcxnUCzeiaJv user@host",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2hvc3RpbGU\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "user_id=12345 session_count=3 retries=2",
    "passwordless login enabled for tenant 7",
    "token_type=bearer expires_in=3600",
    "chat 523277545 not found",
    "AccountName=acct;EndpointSuffix=core.windows.net",
    "GOCSPX prefix seen in config",
    "https://discord.com/channels/123/456",
    "x-amz-date=20240101T000000Z region=us-east-1",
    "TypeError: Cannot read properties of undefined (reading 'token')",
    "at com.example.Foo.bar(Foo.java:12)",
    "KeyError: 'password'",
    "missing field `api_key` in config",
    "dop_v1_ prefix too short",
    "glpat- token revoked",
    "java.lang.IllegalStateException: sk- prefix",
    "ValueError: invalid literal for int() with base 10: 'abc'",
]
