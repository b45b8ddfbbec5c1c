//! Applying a payment to invoices.

use uuid::Uuid;

/// An invoice that can still take money, with what is left to pay on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receivable {
    pub invoice_id: Uuid,
    pub balance_minor: i64,
}

/// A part of a payment applied to one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub invoice_id: Uuid,
    pub amount_minor: i64,
}

/// Applies `amount_minor` to `receivables` in the order given (callers pass oldest due first),
/// each up to its balance. Returns the allocations and what is left unapplied.
pub fn in_order(amount_minor: i64, receivables: &[Receivable]) -> (Vec<Allocation>, i64) {
    let mut left = amount_minor.max(0);
    let mut allocations = Vec::new();
    for receivable in receivables {
        if left == 0 {
            break;
        }
        let applied = left.min(receivable.balance_minor.max(0));
        if applied > 0 {
            allocations.push(Allocation {
                invoice_id: receivable.invoice_id,
                amount_minor: applied,
            });
            left -= applied;
        }
    }
    (allocations, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receivables(balances: &[i64]) -> Vec<Receivable> {
        balances
            .iter()
            .map(|&balance_minor| Receivable {
                invoice_id: Uuid::now_v7(),
                balance_minor,
            })
            .collect()
    }

    #[test]
    fn fills_the_oldest_first_and_keeps_the_surplus() {
        let open = receivables(&[60_000, 50_000]);
        let (allocations, left) = in_order(70_000, &open);
        assert_eq!(allocations.len(), 2);
        assert_eq!(allocations[0].amount_minor, 60_000);
        assert_eq!(allocations[1].amount_minor, 10_000);
        assert_eq!(left, 0);
        let (allocations, left) = in_order(200_000, &open);
        assert_eq!(
            allocations.iter().map(|a| a.amount_minor).sum::<i64>(),
            110_000
        );
        assert_eq!(left, 90_000);
    }

    #[test]
    fn every_kurus_is_accounted_for() {
        // For many amounts and balances, applied + unapplied is exactly the amount.
        let mut seed = 12_345_u64;
        for _ in 0..2_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let amount = (seed >> 20) as i64 % 1_000_000;
            let open = receivables(&[
                (seed >> 8) as i64 % 400_000,
                (seed >> 30) as i64 % 300_000,
                1,
            ]);
            let (allocations, left) = in_order(amount, &open);
            assert_eq!(
                allocations.iter().map(|a| a.amount_minor).sum::<i64>() + left,
                amount
            );
            for (allocation, receivable) in allocations.iter().zip(&open) {
                assert!(allocation.amount_minor <= receivable.balance_minor);
            }
        }
    }
}
