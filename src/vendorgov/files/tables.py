from piccolo.columns import UUID, Integer, Timestamptz, Varchar
from piccolo.table import Table


class StoredFile(Table, tablename="stored_file"):
    id = UUID(primary_key=True)
    sha256 = Varchar(length=64, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    uploaded_at = Timestamptz()
    uploaded_by = Integer(null=True, default=None)
