"""Read: received workbooks (xlsx/xls/HTML) into one located ReturnBatch; values as people type them."""
