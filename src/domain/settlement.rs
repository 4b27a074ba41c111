//! Settling an invoice: the one decision behind every movement of money on an invoice. Given
//! what the invoice is now and what is asked of it (a card's answer, paying from credit,
//! closing it, crediting it back), [`settle`] says what happens. The executor in
//! `services::invoices::settlement` applies the answer in one transaction whose writes name
//! the state this decision was made on, so of two requests racing on one invoice exactly one
//! is applied and the other is decided again on what the first left.
//!
//! | invoice            | card approved, = due | card ≠ due / closed        | card declined | credit ≤ due, ≤ balance | close   | credit note ≤ creditable |
//! |--------------------|----------------------|----------------------------|---------------|-------------------------|---------|--------------------------|
//! | open               | Paid                 | Mismatch (taken) / Refused | Declined      | Paid or PartlyPaid      | Closed  | Refused (not paid)       |
//! | paid               | Mismatch (taken) / Refused                        || Refused       | Refused                 | Refused | Credited                 |
//! | void/uncollectible | Mismatch (taken) / Refused                        || Refused       | Refused                 | Refused | Refused (not paid)       |
use super::{
    invoice::{InvoiceKind, InvoiceStatus},
    Currency, Money,
};

/// What the invoice is when the request is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceState {
    pub status: InvoiceStatus,
    pub kind: InvoiceKind,
    pub total: Money,
    /// Paid from the customer's credit so far.
    pub from_credit: Money,
    /// Credited back by credit notes so far (a paid invoice).
    pub credited: Money,
}

impl InvoiceState {
    /// What is left to pay: the total less what credit paid, while the invoice is open;
    /// nothing once it is paid, void or written off.
    pub fn due(&self) -> Money {
        if self.status == InvoiceStatus::Open {
            Money::new(
                self.total.minor - self.from_credit.minor,
                self.total.currency,
            )
        } else {
            Money::zero(self.total.currency)
        }
    }

    /// What a credit note can still give back: the paid total less earlier credit notes.
    pub fn creditable(&self) -> Money {
        if self.status == InvoiceStatus::Paid && self.kind.is_billable() {
            Money::new(self.total.minor - self.credited.minor, self.total.currency)
        } else {
            Money::zero(self.total.currency)
        }
    }
}

/// How an invoice is closed without payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Staff's void, a cancelled order, auto-renew turned off before the term.
    Void,
    /// Staff's write-off.
    Uncollectible,
}

impl Closing {
    pub fn status(self) -> InvoiceStatus {
        match self {
            Self::Void => InvoiceStatus::Void,
            Self::Uncollectible => InvoiceStatus::Uncollectible,
        }
    }
}

/// What is asked of the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A card gateway's answer to an attempt. `captured`: the money is taken already (a real
    /// gateway's success); the test gateway takes nothing.
    Card {
        amount: Money,
        approved: bool,
        captured: bool,
    },
    /// Pay `amount` from the customer's credit, whose balance in the currency is `balance`.
    Credit { amount: Money, balance: Money },
    /// Close it without payment.
    Close(Closing),
    /// Give back `amount` (tax included) of a paid invoice as a credit note.
    CreditNote { amount: Money },
}

/// What happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Paid in full by this request: `amount` is what it paid.
    Paid { amount: Money },
    /// Paid in part from credit: `left` is still due.
    PartlyPaid { amount: Money, left: Money },
    /// Money was taken that this invoice does not ask for (another amount, or an invoice no
    /// longer open): kept and flagged for a refund; the invoice does not change.
    Mismatch { due: Money },
    /// The card was declined: the attempt is kept, the invoice stays open.
    Declined,
    /// Closed without payment; `returned` is the credit it had used, given back.
    Closed { to: InvoiceStatus, returned: Money },
    /// A credit note of `amount` is issued against it.
    Credited { amount: Money },
    /// Nothing happens, for this reason.
    Refused(Refusal),
}

impl Decision {
    /// Whether the invoice's row changes (status or credit).
    pub fn moves_invoice(self) -> bool {
        matches!(
            self,
            Self::Paid { .. } | Self::PartlyPaid { .. } | Self::Closed { .. }
        )
    }
}

/// Why a request changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This invoice is {} and can no longer be paid or closed.", .0.label().to_lowercase())]
    NotOpen(InvoiceStatus),
    #[error("Only a paid invoice can be credited; this one is {}.", .0.label().to_lowercase())]
    NotPaid(InvoiceStatus),
    #[error("The amount due changed to {due} meanwhile: nothing was charged; pay again.")]
    DueChanged { due: Money },
    #[error("This invoice is in {0}: pay it with {0} credit.")]
    Currency(Currency),
    #[error("Enter an amount above zero.")]
    NotPositive,
    #[error("Only {due} is left to pay.")]
    MoreThanDue { due: Money },
    #[error("The credit balance is {balance}: that is not enough.")]
    MoreThanBalance { balance: Money },
    #[error("At most {left} can still be credited on this invoice.")]
    MoreThanCreditable { left: Money },
    #[error("A top-up is bought with money, not with credit.")]
    TopUpWithCredit,
    #[error("A top-up is not credited back: adjust the credit balance instead.")]
    TopUpCreditNote,
    #[error("A credit note is not credited again.")]
    CreditNoteOfCreditNote,
}

/// The decision. Pure: the same state and request always give the same answer.
pub fn settle(inv: &InvoiceState, req: Request) -> Decision {
    use Decision::*;
    let open = inv.status == InvoiceStatus::Open;
    let due = inv.due();
    match req {
        Request::Card {
            amount,
            approved,
            captured,
        } => {
            if !approved {
                return if open {
                    Declined
                } else {
                    Refused(Refusal::NotOpen(inv.status))
                };
            }
            if open && amount == due {
                Paid { amount }
            } else if captured {
                // Taken already: keep it to refund, never let it pay something else.
                Mismatch { due }
            } else if open {
                Refused(Refusal::DueChanged { due })
            } else {
                Refused(Refusal::NotOpen(inv.status))
            }
        }
        Request::Credit { amount, balance } => {
            if !open {
                Refused(Refusal::NotOpen(inv.status))
            } else if inv.kind == InvoiceKind::TopUp {
                Refused(Refusal::TopUpWithCredit)
            } else if amount.currency != inv.total.currency {
                Refused(Refusal::Currency(inv.total.currency))
            } else if amount.minor <= 0 {
                Refused(Refusal::NotPositive)
            } else if amount.minor > due.minor {
                Refused(Refusal::MoreThanDue { due })
            } else if amount.minor > balance.minor {
                Refused(Refusal::MoreThanBalance { balance })
            } else if amount == due {
                Paid { amount }
            } else {
                PartlyPaid {
                    amount,
                    left: Money::new(due.minor - amount.minor, due.currency),
                }
            }
        }
        Request::Close(how) => {
            if open {
                Closed {
                    to: how.status(),
                    returned: inv.from_credit,
                }
            } else {
                Refused(Refusal::NotOpen(inv.status))
            }
        }
        Request::CreditNote { amount } => {
            let left = inv.creditable();
            if inv.kind == InvoiceKind::TopUp {
                Refused(Refusal::TopUpCreditNote)
            } else if inv.kind == InvoiceKind::CreditNote {
                Refused(Refusal::CreditNoteOfCreditNote)
            } else if inv.status != InvoiceStatus::Paid {
                Refused(Refusal::NotPaid(inv.status))
            } else if amount.currency != inv.total.currency
                || amount.minor <= 0
                || amount.minor > left.minor
            {
                Refused(Refusal::MoreThanCreditable { left })
            } else {
                Credited { amount }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::Usd;

    fn usd(m: i64) -> Money {
        Money::new(m, Usd)
    }

    fn state(status: InvoiceStatus, total: i64, from_credit: i64) -> InvoiceState {
        InvoiceState {
            status,
            kind: InvoiceKind::Order,
            total: usd(total),
            from_credit: usd(from_credit),
            credited: usd(0),
        }
    }

    const ALL: [InvoiceStatus; 4] = [
        InvoiceStatus::Open,
        InvoiceStatus::Paid,
        InvoiceStatus::Void,
        InvoiceStatus::Uncollectible,
    ];

    #[test]
    fn what_is_due_is_the_total_less_credit_while_open_and_nothing_after() {
        assert_eq!(state(InvoiceStatus::Open, 2400, 2000).due(), usd(400));
        for s in [
            InvoiceStatus::Paid,
            InvoiceStatus::Void,
            InvoiceStatus::Uncollectible,
        ] {
            assert_eq!(state(s, 2400, 2000).due(), usd(0), "{s:?}");
        }
    }

    #[test]
    fn a_card_pays_exactly_what_an_open_invoice_asks() {
        let inv = state(InvoiceStatus::Open, 2400, 2000);
        let card = |amount, captured| Request::Card {
            amount,
            approved: true,
            captured,
        };
        assert_eq!(
            settle(&inv, card(usd(400), true)),
            Decision::Paid { amount: usd(400) }
        );
        // The total, once credit paid part: taken money is kept to refund; test money refused.
        assert_eq!(
            settle(&inv, card(usd(2400), true)),
            Decision::Mismatch { due: usd(400) }
        );
        assert_eq!(
            settle(&inv, card(usd(2400), false)),
            Decision::Refused(Refusal::DueChanged { due: usd(400) })
        );
    }

    #[test]
    fn nothing_pays_or_closes_an_invoice_that_is_no_longer_open() {
        for s in ALL.into_iter().filter(|s| *s != InvoiceStatus::Open) {
            let inv = state(s, 2400, 0);
            let asks = [
                Request::Card {
                    amount: usd(2400),
                    approved: true,
                    captured: false,
                },
                Request::Card {
                    amount: usd(2400),
                    approved: false,
                    captured: false,
                },
                Request::Credit {
                    amount: usd(100),
                    balance: usd(10_000),
                },
                Request::Close(Closing::Void),
                Request::Close(Closing::Uncollectible),
            ];
            for req in asks {
                assert_eq!(
                    settle(&inv, req),
                    Decision::Refused(Refusal::NotOpen(s)),
                    "{s:?} {req:?}"
                );
            }
            // A real gateway's money taken for it is kept for a refund, never applied.
            assert_eq!(
                settle(
                    &inv,
                    Request::Card {
                        amount: usd(2400),
                        approved: true,
                        captured: true
                    }
                ),
                Decision::Mismatch { due: usd(0) }
            );
        }
    }

    #[test]
    fn credit_pays_in_part_or_in_full_within_what_is_due_and_the_balance() {
        let inv = state(InvoiceStatus::Open, 2400, 0);
        let credit = |amount, balance| Request::Credit {
            amount: usd(amount),
            balance: usd(balance),
        };
        assert_eq!(
            settle(&inv, credit(2000, 5000)),
            Decision::PartlyPaid {
                amount: usd(2000),
                left: usd(400)
            }
        );
        assert_eq!(
            settle(&inv, credit(2400, 2400)),
            Decision::Paid { amount: usd(2400) }
        );
        assert_eq!(
            settle(&inv, credit(2500, 9000)),
            Decision::Refused(Refusal::MoreThanDue { due: usd(2400) })
        );
        assert_eq!(
            settle(&inv, credit(2000, 1000)),
            Decision::Refused(Refusal::MoreThanBalance { balance: usd(1000) })
        );
        assert_eq!(
            settle(&inv, credit(0, 1000)),
            Decision::Refused(Refusal::NotPositive)
        );
        assert_eq!(
            settle(
                &inv,
                Request::Credit {
                    amount: Money::new(100, Currency::Eur),
                    balance: Money::new(100, Currency::Eur)
                }
            ),
            Decision::Refused(Refusal::Currency(Usd))
        );
        let topup = InvoiceState {
            kind: InvoiceKind::TopUp,
            ..inv
        };
        assert_eq!(
            settle(&topup, credit(100, 1000)),
            Decision::Refused(Refusal::TopUpWithCredit)
        );
    }

    #[test]
    fn closing_gives_back_the_credit_the_invoice_used() {
        let inv = state(InvoiceStatus::Open, 2400, 2000);
        assert_eq!(
            settle(&inv, Request::Close(Closing::Void)),
            Decision::Closed {
                to: InvoiceStatus::Void,
                returned: usd(2000)
            }
        );
        assert_eq!(
            settle(&inv, Request::Close(Closing::Uncollectible)),
            Decision::Closed {
                to: InvoiceStatus::Uncollectible,
                returned: usd(2000)
            }
        );
    }

    #[test]
    fn a_declined_card_is_kept_only_while_the_invoice_is_open() {
        let declined = Request::Card {
            amount: usd(2400),
            approved: false,
            captured: false,
        };
        assert_eq!(
            settle(&state(InvoiceStatus::Open, 2400, 0), declined),
            Decision::Declined
        );
    }

    #[test]
    fn credit_notes_give_back_at_most_what_was_paid_and_not_yet_credited() {
        let paid = InvoiceState {
            credited: usd(1000),
            ..state(InvoiceStatus::Paid, 2400, 0)
        };
        let note = |m| Request::CreditNote { amount: usd(m) };
        assert_eq!(
            settle(&paid, note(1400)),
            Decision::Credited { amount: usd(1400) }
        );
        assert_eq!(
            settle(&paid, note(1401)),
            Decision::Refused(Refusal::MoreThanCreditable { left: usd(1400) })
        );
        assert_eq!(
            settle(&paid, note(0)),
            Decision::Refused(Refusal::MoreThanCreditable { left: usd(1400) })
        );
        for s in ALL.into_iter().filter(|s| *s != InvoiceStatus::Paid) {
            assert_eq!(
                settle(&state(s, 2400, 0), note(100)),
                Decision::Refused(Refusal::NotPaid(s))
            );
        }
        for (kind, why) in [
            (InvoiceKind::TopUp, Refusal::TopUpCreditNote),
            (InvoiceKind::CreditNote, Refusal::CreditNoteOfCreditNote),
        ] {
            let inv = InvoiceState { kind, ..paid };
            assert_eq!(settle(&inv, note(100)), Decision::Refused(why));
        }
    }

    /// Of any two requests on one open invoice, applied one after the other (as the executor
    /// does under a race), at most one moves money onto it or closes it; the second is told
    /// why, decided on what the first left.
    #[test]
    fn of_two_racing_requests_only_one_settles_the_invoice() {
        let open = state(InvoiceStatus::Open, 2400, 0);
        let asks = [
            Request::Card {
                amount: usd(2400),
                approved: true,
                captured: false,
            },
            Request::Credit {
                amount: usd(2400),
                balance: usd(5000),
            },
            Request::Close(Closing::Void),
            Request::Close(Closing::Uncollectible),
        ];
        for first in asks {
            let after = match settle(&open, first) {
                Decision::Paid { amount } => InvoiceState {
                    status: InvoiceStatus::Paid,
                    from_credit: if matches!(first, Request::Credit { .. }) {
                        amount
                    } else {
                        usd(0)
                    },
                    ..open
                },
                Decision::Closed { to, .. } => InvoiceState { status: to, ..open },
                d => panic!("{first:?} gave {d:?}"),
            };
            for second in asks {
                assert!(
                    matches!(
                        settle(&after, second),
                        Decision::Refused(Refusal::NotOpen(_))
                    ),
                    "{first:?} then {second:?}"
                );
            }
        }
    }
}
