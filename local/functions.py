"""Load `lambdas/<name>/handler.py` modules and invoke them the way Lambda does.

Each function is invoked by one caller at a time (one warm instance), because Powertools keeps
the current event on the resolver, exactly as a Lambda execution environment would.
"""

from __future__ import annotations

import importlib.util
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

LAMBDAS_DIR = Path(__file__).resolve().parent.parent / "lambdas"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class FunctionRegistry:
    """Handler modules by function name, imported on first use (a cold start) and kept warm."""

    def __init__(self, lambdas_dir: Path = LAMBDAS_DIR) -> None:
        self._dir = lambdas_dir
        self._modules: dict[str, ModuleType] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._load_lock = threading.Lock()

    def module(self, name: str) -> ModuleType:
        with self._load_lock:
            if name not in self._modules:
                path = self._dir / name / "handler.py"
                spec = importlib.util.spec_from_file_location(f"lambdas.{name}.handler", path)
                if spec is None or spec.loader is None:
                    raise FileNotFoundError(path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                self._modules[name] = module
                self._locks[name] = threading.Lock()
            return self._modules[name]

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        module = self.module(name)
        with self._locks[name]:
            return module.handler(event, LambdaContext(function_name=f"dagy-local-{name}"))
