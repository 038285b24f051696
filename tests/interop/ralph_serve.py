"""Start Ralph's LRS API (run with the Python of Ralph's own virtual environment).

Ralph 5.1's file-system LRS backend writes every POST with its default operation,
CREATE, which refuses to touch an existing file: the first batch of statements is
stored and every later one fails with HTTP 500 ("fs_lrs.jsonl already exists and
overwrite is not allowed"). This launcher makes that one default APPEND, as a file LRS
needs; the API, validation, authentication, duplicate handling and storage are Ralph's.
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), workers=1)
