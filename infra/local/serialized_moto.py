"""Starts moto's server with DynamoDB's operations serialized.

moto serves requests on several threads, but its DynamoDB backend is not thread-safe: a
transaction writes item by item and, when one of its conditions fails, restores a snapshot of the
whole table taken when it began, which erases whatever other requests wrote in the meantime.
Real DynamoDB runs transactions in isolation (serializable), and the service relies on it. Holding
one lock around every DynamoDB operation gives the emulator the same isolation; the other
services (SQS long polls included) keep their threads.

Under that lock a transaction can check all its conditions before writing anything, so it no
longer needs moto's snapshot: a deep copy of the whole table on every transaction, whose cost
grows with the table (35 ms per transaction at 1,000 items, measured here).

Run as moto's own server: python serialized_moto.py -H 127.0.0.1 -p 4566
"""

import functools
import sys
import threading

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

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
        raise


DynamoDBBackend.transact_write_items = _transact_write_items

for _name, _attr in list(vars(DynamoDBBackend).items()):
    if callable(_attr) and not _name.startswith("_"):
        setattr(DynamoDBBackend, _name, _serialized(_attr))

if __name__ == "__main__":
    sys.exit(main())
