"""Every module's tables, imported once so Alembic and the tests see the whole schema."""

from praca.core import audit, auth, jobs, notify  # noqa: F401
from praca.core.db import Base
from praca.dpo import models as dpo_models  # noqa: F401
from praca.opendata import models as opendata_models  # noqa: F401
from praca.registry import models as registry_models  # noqa: F401
from praca.wifi import models as wifi_models  # noqa: F401

metadata = Base.metadata
