import unittest

from nonlin_torch.shuffle import batch_order

# batchOrder(rows, seed, epoch) of src/train/shuffle.ts, printed by Node (test/torch-python.test.ts
# also compares the two functions directly)
KNOWN = [
    ((10, 0, 0), [2, 9, 4, 7, 1, 8, 6, 5, 0, 3]),
    ((7, 42, 3), [3, 6, 2, 4, 1, 5, 0]),
    ((5, -3, 1), [2, 3, 4, 1, 0]),
    ((20, 2**33 + 5, 2), [13, 15, 7, 0, 16, 9, 10, 11, 5, 8, 18, 14, 1, 17, 3, 4, 2, 12, 6, 19]),
]


class BatchOrderTest(unittest.TestCase):
    def test_matches_the_typescript_shuffle(self) -> None:
        for (rows, seed, epoch), expected in KNOWN:
            self.assertEqual(batch_order(rows, seed, epoch), expected, (rows, seed, epoch))

    def test_long_orders_match_at_both_ends(self) -> None:
        order = batch_order(1000, 123456789, 5)
        self.assertEqual(order[:12], [356, 649, 909, 456, 409, 788, 362, 454, 546, 49, 353, 401])
        self.assertEqual(order[-5:], [195, 681, 206, 794, 387])
        self.assertEqual(sorted(order), list(range(1000)))

    def test_small_counts(self) -> None:
        self.assertEqual(batch_order(0, 1, 0), [])
        self.assertEqual(batch_order(1, 1, 0), [0])


if __name__ == "__main__":
    unittest.main()
