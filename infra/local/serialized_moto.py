"""Starts moto's server with DynamoDB's operations serialized.

moto serves requests on several threads, but its DynamoDB backend is not thread-safe: a
transaction writes item by item and, when one of its conditions fails, restores a snapshot of the
whole table taken when it began, which erases whatever other requests wrote in the meantime.
Real DynamoDB runs transactions in isolation (serializable), and the service relies on it. Holding
one lock around every DynamoDB operation gives the emulator the same isolation; the other
services (SQS long polls included) keep their threads.

Under that lock a transaction can check all its conditions before writing anything, so it no
longer needs moto's snapshot: a deep copy of the whole table on every transaction, whose cost
grows with the table.

A query reads only what DynamoDB would read: the items of its partition key, on the table or on
a global secondary index, and on an index only the range of its sort key condition. moto instead
sorts every item of the table on every query, so a query's cost grew with the table; the
service's sparse due index would look like a scan, and a ledger partition's periods that ended
long ago would cost every month's query. The index's partitions are kept up to date, each in the
order of its sort key, as each write is made (under the lock), and a query is given only the
items its key condition bounds; moto's own code still does the key conditions, order, paging
and filters.

A query's answer is written as JSON text directly. moto's generic response serializer walks each
attribute of each item through the service model, about a millisecond an item of a claim's size:
reading a page of whole claims from an index cost the emulator more than writing them, where
DynamoDB returns a 1 MB page in milliseconds. The text is the same document (`Items`, `Count`,
`ScannedCount`, `LastEvaluatedKey`, `ConsumedCapacity`), without the walk.

The table's stream is kept true to DynamoDB's: a transaction's writes are streamed when it
commits (moto streams each write as its table makes it), a transaction undone leaves no record,
and a stream read never sees a transaction half written.

Three costs of moto's server that AWS has no counterpart of are taken off every request:
- werkzeug's development server closes every connection after one answer, so each AWS call
  opened a connection (and the server a thread) of its own; a connection now carries a
  client's requests one after the other (`_KeepAliveHandler`, below);
- moto's dispatcher asks for the list of its service modules at each request, which lists its
  package directory and checks each entry on disk (a few hundred system calls); the list never
  changes while the server runs, so it is read once;
- werkzeug writes a log line for each request (a tenth of the emulator's time under load);
  requests are no longer logged, errors and warnings still are.

Three costs of moto's writes, the largest part of the emulator's time in the webhooks' rounds
of a hundred records (BENCHMARKS.md, "Webhook deliveries"):
- an item's size was checked at each of its attributes, summing every attribute before it: it
  is checked once, with the same limit and the same error;
- a write's stream record wrote the old image whatever the view type, and then the whole
  record as JSON only to count its length; it now carries what the view type asks for, and its
  size is counted as DynamoDB counts an item's;
- an item in none of an index's partitions, before or after a write, no longer costs that
  index anything (most items are in no index).
And two of moto's BatchWriteItem: its parameters went through botocore's parser, attribute by
attribute, to give back the document as sent (binary values decoded: now done directly); and
its duplicates were found by writing each whole item as JSON and comparing the texts, which also
let two writes of one key pass where DynamoDB refuses them: they are found by their keys.

And one cost of Python's: the cyclic garbage collector's full passes walk every object the
server holds, every item of every table and every stream record among them, while every request
waits, a pause that grows with the tables. The objects that survived a full pass are frozen out
of the later ones (`gc.freeze`): they are the emulator's state, which lives until the server
stops (each test's stack starts its own). Reference counting still frees whatever of them is
released later; only a reference cycle among them would stay.

Run as moto's own server: python serialized_moto.py -H 127.0.0.1 -p 4566
"""

import base64
import bisect
import functools
import gc
import inspect
import json
import logging
import sys
import threading
import traceback

import moto.backends
import moto.server

from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import utcnow
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamRecord, Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler, validate_put_has_empty_keys
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.moto_api._internal import mock_random
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.server import main
from werkzeug.serving import connection_dropped_errors
from werkzeug.wsgi import LimitedStream

_lock = threading.RLock()


def _serialized(operation):
    @functools.wraps(operation)
    def run(*args, **kwargs):
        with _lock:
            return operation(*args, **kwargs)

    return run


def _transact_write_items(self, transact_items):
    """All conditions first, then all writes: atomic because the caller holds the lock."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    planned, reasons, seen = [], [], set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        if op_type == "Put":
            table = self.get_table(table_name)
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        unique = (table_name, str(dict(sorted(key.items()))))
        if unique in seen:
            raise MultipleTransactionsException()
        seen.add(unique)
        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if condition is not None and not get_filter_expression(condition, names, values).expr(current):
            old = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
        else:
            reasons.append((None, None, None))
        planned.append((op_type, op, table_name, key, current))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    # Where each table's stream stood before the writes: moto streams each write as it is
    # made (Table.put_item, DynamoDBBackend.update_item, Table.delete_item), so the writes
    # below are streamed one by one, as a committed transaction is on AWS.
    marks = {}
    for _, _, table_name, _, _ in planned:
        table = self.tables.get(table_name)
        if table is not None and table.stream_shard is not None:
            marks.setdefault(table_name, len(table.stream_shard.items))
    done = []
    try:
        for op_type, op, table_name, key, current in planned:
            if op_type == "Put":
                self.put_item(table_name, op["Item"])
            elif op_type == "Delete":
                self.delete_item(table_name, key)
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
            done.append((table_name, key, current))
    except Exception:
        # An invalid write (say, a malformed update expression): undo the ones made.
        for table_name, key, current in reversed(done):
            if current is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, current.to_json()["Attributes"])
        # The transaction did not happen: nor do its writes' stream records, nor the undoing's
        # (a reader of the stream would take them for committed changes).
        for table_name, mark in marks.items():
            table = self.tables.get(table_name)
            if table is not None and table.stream_shard is not None:
                del table.stream_shard.items[mark:]
        raise


DynamoDBBackend.transact_write_items = _transact_write_items


# An item's size limit, as moto sets it (DynamoDB's 400 KB, measured between 409 and 410 KB).
_ITEM_SIZE_LIMIT = 405000


def _item_init(self, hash_key, range_key, attrs):
    """moto's Item, its size checked once for the whole item.

    moto's attribute dictionary checks the limit at each attribute it is given, summing the
    sizes of every attribute before it: a write's cost grew with the square of its attributes.
    The sum of all of them, checked once, refuses the same items with the same error.
    """
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, values)


Item.__init__ = _item_init


def _stream_record_init(self, table, stream_type, event_name, old, new, seq):
    """moto's stream record, with the images the table's view type asks for, and no others.

    moto wrote the old image of every write, whatever the view type, and measured the record by
    writing the whole of it as JSON once more; DynamoDB counts a record's size as it counts an
    item's: its keys and images, attribute by attribute.
    """
    current = old if old is not None else new
    keys = {table.hash_key_attr: current.hash_key.to_json()}
    size = bytesize(table.hash_key_attr) + current.hash_key.size()
    if table.range_key_attr is not None:
        keys[table.range_key_attr] = current.range_key.to_json()
        size += bytesize(table.range_key_attr) + current.range_key.size()
    dynamodb = {
        "StreamViewType": stream_type,
        "ApproximateCreationDateTime": utcnow(),
        "SequenceNumber": str(seq),
        "SizeBytes": size,
        "Keys": keys,
    }
    if stream_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
        dynamodb["NewImage"] = new.to_json()["Attributes"]
        dynamodb["SizeBytes"] += new.size()
    if stream_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
        dynamodb["OldImage"] = old.to_json()["Attributes"]
        dynamodb["SizeBytes"] += old.size()
    self.record = {
        "eventID": mock_random.uuid4().hex,
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.0",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
    }


StreamRecord.__init__ = _stream_record_init


# Global secondary index partitions: (table, index) -> {partition value: {item key: (hash, range)}},
# each partition's members in the order of the index's sort key: (table, index) -> {partition
# value: [(sort value, item key), ...]}, and where each item is: (table, index) -> {item key:
# (partition value, sort value or None)}.
_partitions = {}
_ordered = {}
_placed = {}
# Partitions holding an item whose sort key is of a type not ordered here: queried whole.
_unordered = set()


def _text(raw):
    return json.dumps(raw, sort_keys=True)


def _key_of(table, attrs):
    """The item's key, as moto's raw attribute values, from its attributes or its key."""
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _sort_value(value):
    """A sort key's value as DynamoDB orders it, for strings and numbers (a string's code points
    order as its UTF-8 bytes do); None for any other type, which is then not ordered here."""
    if value is None or value.type not in ("S", "N"):
        return None
    return (value.type, value.cast_value)


# Each index's key attributes, by the index object (kept, so that its id names only it).
_index_key_names = {}


def _index_keys(index):
    known = _index_key_names.get(id(index))
    if known is not None and known[0] is index:
        return known[1]
    hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    names = hash_attr, (ranges[0] if len(ranges) == 1 else None)
    _index_key_names[id(index)] = (index, names)
    return names


def _place(backend, table_name, key):
    """Puts the item with `key` in the partition of each index it belongs to now, or none."""
    table = backend.tables.get(table_name)
    if table is None or not table.global_indexes:
        return
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_value, range_value)
    item_key = _text(key)
    for index in table.global_indexes:
        attribute, sort_attribute = _index_keys(index)
        placed = _placed.setdefault((table_name, index.name), {})
        before = placed.pop(item_key, None)
        belongs = item is not None and attribute in item.attrs
        if before is None and not belongs:
            # Neither in the index before nor now (most of the table's items for each index).
            continue
        partitions = _partitions.setdefault((table_name, index.name), {})
        ordered = _ordered.setdefault((table_name, index.name), {})
        if before is not None:
            partition, sort_value = before
            partitions.get(partition, {}).pop(item_key, None)
            if sort_value is not None:
                members = ordered.get(partition, [])
                at = bisect.bisect_left(members, (sort_value, item_key))
                if at < len(members) and members[at] == (sort_value, item_key):
                    del members[at]
        if belongs:
            now = _text(item.attrs[attribute].to_json())
            partitions.setdefault(now, {})[item_key] = (hash_value, range_value)
            sort_value = None
            if sort_attribute is not None:
                sort_value = _sort_value(item.attrs.get(sort_attribute))
                if sort_value is not None:
                    bisect.insort(ordered.setdefault(now, []), (sort_value, item_key))
                elif sort_attribute in item.attrs:
                    _unordered.add((table_name, index.name, now))
            placed[item_key] = (now, sort_value)


def _bounded(members, comparison, values):
    """The members whose sort value meets the key condition (`comparison` of `values`), found
    by bisection; None when the condition is not one of the sort key's."""
    bounds = [_sort_value(v) for v in values]
    if not bounds or any(b is None for b in bounds):
        return None
    comparison = comparison.upper()
    value = lambda member: member[0]  # noqa: E731
    first = lambda b: bisect.bisect_left(members, b, key=value)  # noqa: E731
    after = lambda b: bisect.bisect_right(members, b, key=value)  # noqa: E731
    if comparison in ("=", "EQ"):
        return members[first(bounds[0]) : after(bounds[0])]
    if comparison in ("<", "LT"):
        return members[: first(bounds[0])]
    if comparison in ("<=", "LE"):
        return members[: after(bounds[0])]
    if comparison in (">", "GT"):
        return members[after(bounds[0]) :]
    if comparison in (">=", "GE"):
        return members[first(bounds[0]) :]
    if comparison == "BETWEEN" and len(bounds) == 2:
        return members[first(bounds[0]) : after(bounds[1])]
    if comparison == "BEGINS_WITH" and bounds[0][0] == "S":
        prefix = bounds[0][1]
        return members[first(bounds[0]) : first(("S", prefix + "\U0010ffff"))]
    return None


def _forget(table_name):
    for store in (_partitions, _ordered, _placed):
        for name in [n for n in store if n[0] == table_name]:
            del store[name]
    _unordered.difference_update({n for n in _unordered if n[0] == table_name})


def _placing(operation, key_of):
    @functools.wraps(operation)
    def run(self, table_name, *args, **kwargs):
        try:
            return operation(self, table_name, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is not None:
                _place(self, table_name, key_of(table, args, kwargs))

    return run


DynamoDBBackend.put_item = _placing(
    DynamoDBBackend.put_item,
    lambda table, args, kwargs: _key_of(table, args[0] if args else kwargs["item_attrs"]),
)
DynamoDBBackend.update_item = _placing(
    DynamoDBBackend.update_item,
    lambda table, args, kwargs: _key_of(table, args[0] if args else kwargs["key"]),
)
DynamoDBBackend.delete_item = _placing(
    DynamoDBBackend.delete_item,
    lambda table, args, kwargs: _key_of(table, args[0] if args else kwargs["key"]),
)


def _forgetting(operation):
    @functools.wraps(operation)
    def run(self, *args, **kwargs):
        bound = inspect.signature(operation).bind(self, *args, **kwargs)
        name = bound.arguments.get("name") or bound.arguments.get("table_name")
        _forget(name)
        return operation(self, *args, **kwargs)

    return run


DynamoDBBackend.create_table = _forgetting(DynamoDBBackend.create_table)
DynamoDBBackend.delete_table = _forgetting(DynamoDBBackend.delete_table)

_table_query = Table.query
_query_signature = inspect.signature(_table_query)


def _sorted(items):
    # As moto's Table.all_items orders them.
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _query(self, *args, **kwargs):
    """moto's query, given only the items of the partition it reads."""
    arguments = _query_signature.bind(self, *args, **kwargs).arguments
    index_name = arguments.get("index_name")
    candidates = None
    if not index_name:
        partition = self.items.get(arguments.get("hash_key"), {})
        candidates = list(partition.values()) if self.range_key_attr else [partition]
    elif (self.name, index_name) in _partitions:
        conditions = arguments.get("hash_key_conditions") or []
        index = next(i for i in self.global_indexes if i.name == index_name)
        attribute = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        values = [value for name, value in conditions if name == attribute]
        if len(values) == 1:
            partition = _text(values[0].to_json())
            members = _partitions[(self.name, index_name)].get(partition, {})
            keys = members.keys()
            ranges = arguments.get("range_key_conditions") or []
            comparison = arguments.get("range_comparison")
            ordered_whole = _index_keys(index)[1] is not None and (
                (self.name, index_name, partition) not in _unordered
            )
            if comparison and len(ranges) <= 1 and ordered_whole:
                ordered = _ordered[(self.name, index_name)].get(partition, [])
                bounded = _bounded(ordered, comparison, arguments.get("range_objs") or [])
                if bounded is not None:
                    keys = [item_key for _, item_key in bounded]
            candidates = [self.get_item(*members[k]) for k in keys]
            candidates = [item for item in candidates if item is not None]
    if candidates is None:
        return _table_query(self, *args, **kwargs)
    self.all_items = lambda: _sorted(candidates)
    try:
        return _table_query(self, *args, **kwargs)
    finally:
        del self.all_items


Table.query = _query

_handler_query = DynamoHandler.query


def _json_value(value):
    # Binary values are base64 text in DynamoDB's JSON, as moto's serializer writes them.
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} in a query's answer")


@functools.wraps(_handler_query)
def _query_answer(self):
    """moto's answer to a query, as the JSON text its serializer would write."""
    answer = _handler_query(self)
    document = getattr(answer, "result", None)
    if isinstance(document, dict):
        return json.dumps(document, separators=(",", ":"), default=_json_value)
    return answer


DynamoHandler.query = _query_answer

_parse_parameters = BaseResponse.parse_parameters


def _binaries_decoded(value):
    """An attribute value as botocore's parser gives it: binary values' base64 text as bytes."""
    if not isinstance(value, dict):
        return
    if isinstance(value.get("B"), str):
        value["B"] = base64.b64decode(value["B"])
    elif isinstance(value.get("BS"), list):
        value["BS"] = [base64.b64decode(v) for v in value["BS"]]
    elif isinstance(value.get("M"), dict):
        for member in value["M"].values():
            _binaries_decoded(member)
    elif isinstance(value.get("L"), list):
        for member in value["L"]:
            _binaries_decoded(member)


def _batch_write_parameters(self, request):
    """A BatchWriteItem's parameters read as JSON, its binary values decoded.

    moto reads every request through botocore's parser, walking each attribute of each item
    against the service's model; for this request that gives the document as sent, binary
    values decoded. Any other request, or one that is not JSON, still goes through it.
    """
    if self._get_action() == "BatchWriteItem":
        try:
            document = json.loads(request.data or b"{}")
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("RequestItems"), dict):
            for requests in document["RequestItems"].values():
                for entry in requests if isinstance(requests, list) else []:
                    for kind, field in (("PutRequest", "Item"), ("DeleteRequest", "Key")):
                        attributes = (entry.get(kind) or {}).get(field) or {}
                        for value in attributes.values():
                            _binaries_decoded(value)
            self.params = document
            return
    _parse_parameters(self, request)


DynamoHandler.parse_parameters = _batch_write_parameters


def _batch_write_item(self):
    """moto's BatchWriteItem, its duplicates found by their keys, as DynamoDB finds them.

    moto compared whole items, each written out as JSON first: two writes of one key with
    different attributes passed, where DynamoDB refuses any two requests of a batch on one key
    (a put and a delete too).
    """
    table_batches = self.body["RequestItems"]
    puts, deletes, keys = [], [], set()
    for table_name, table_requests in table_batches.items():
        table = self.dynamodb_backend.get_table(table_name)
        for table_request in table_requests:
            request_type, request = next(iter(table_request.items()))
            if request_type == "PutRequest":
                item = request["Item"]
                validate_put_has_empty_keys(
                    item,
                    table,
                    custom_error_msg="One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {}",
                )
                puts.append((table_name, item))
                attributes = item
            elif request_type == "DeleteRequest":
                deletes.append((table_name, request["Key"]))
                attributes = request["Key"]
            else:
                continue
            try:
                key = (table_name, _text(_key_of(table, attributes)))
            except KeyError:
                # No key: the write itself refuses it, as moto does.
                continue
            if key in keys:
                raise MockValidationException("Provided list of item keys contains duplicates")
            keys.add(key)
    for table_name, item in puts:
        self.dynamodb_backend.put_item(table_name, item)
    for table_name, key in deletes:
        self.dynamodb_backend.delete_item(table_name, key)
    return ActionResult(
        {
            "ConsumedCapacity": [
                {"TableName": name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
                for name in table_batches
            ],
            "ItemCollectionMetrics": {},
            "UnprocessedItems": {},
        }
    )


DynamoHandler.batch_write_item = _batch_write_item


for _name, _attr in list(vars(DynamoDBBackend).items()):
    if callable(_attr) and not _name.startswith("_"):
        setattr(DynamoDBBackend, _name, _serialized(_attr))

# A stream read waits for the write in progress: it never sees half a transaction (nor the
# records of one being undone).
DynamoDBStreamsBackend.get_records = _serialized(DynamoDBStreamsBackend.get_records)

_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules

logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _freeze_after_full_pass(phase, info):
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


gc.callbacks.append(_freeze_after_full_pass)


class _KeepAliveHandler(MotoRequestHandler):
    """moto's request handler, keeping each connection open for the client's next request.

    werkzeug's development server answers every request with `Connection: close`, so each AWS
    call of the functions opened a connection of its own, and the server a thread for it. It
    cannot keep them, it says, because it does not know where a request's body ends; this
    handler does: a body is read to its `Content-Length`, or to its last chunk, and what the
    application left unread is read and dropped before the next request line. An answer is
    sent whole with its length, so the client knows where it ends too. A client asking to
    close (HTTP/1.0, `Connection: close`) is answered and closed, and a request whose length
    cannot be told closes its connection after its answer.
    """

    protocol_version = "HTTP/1.1"
    # An answer is written as its head and then its body: on a connection kept open, Nagle's
    # algorithm held the body until the client's delayed acknowledgement of the head (40 ms).
    disable_nagle_algorithm = True

    def run_wsgi(self):
        # `Expect: 100-continue` was answered in parse_request (http.server's), as the protocol
        # is HTTP/1.1.
        self.environ = environ = self.make_environ()
        if not environ.get("wsgi.input_terminated"):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0:
                # Where its body ends is unknown: nothing after it can be read as a request.
                self.close_connection = True
                length = 0
            environ["wsgi.input"] = LimitedStream(self.rfile, length)
        body_in = environ["wsgi.input"]
        answer = {}
        written = []

        def start_response(status, headers, exc_info=None):
            # Nothing is sent before the whole answer is: an error's answer replaces the one
            # set before it.
            answer["status"], answer["headers"] = status, headers
            return written.append

        try:
            result = self.server.app(environ, start_response)
            try:
                body = b"".join([*written, *result])
            finally:
                if hasattr(result, "close"):
                    result.close()
            if not answer:
                raise RuntimeError("the application answered no status")
        except connection_dropped_errors as e:
            self.close_connection = True
            self.connection_dropped(e, environ)
            return
        except Exception:
            self.server.log("error", f"Error on request:\n{traceback.format_exc()}")
            answer = {
                "status": "500 INTERNAL SERVER ERROR",
                "headers": [("Content-Type", "text/plain")],
            }
            body = b"Internal Server Error"
            self.close_connection = True
        try:
            # What the application left of the body, read before the next request line.
            while body_in.read(65536):
                pass
        except Exception:  # the client went away, or sent a broken chunk
            self.close_connection = True
        code, _, reason = answer["status"].partition(" ")
        code = int(code)
        self.send_response(code, reason)
        bodiless = self.command == "HEAD" or code < 200 or code in (204, 304)
        for name, value in answer["headers"]:
            lowered = name.lower()
            if lowered in ("connection", "transfer-encoding"):
                continue
            # A HEAD answer's length is the one a GET would have (an S3 object's size).
            if lowered == "content-length" and self.command != "HEAD":
                continue
            self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not bodiless and body:
            self.wfile.write(body)
        self.wfile.flush()


# moto's server is started with its own handler, read from its module when it starts.
moto.server.MotoRequestHandler = _KeepAliveHandler

if __name__ == "__main__":
    sys.exit(main())
