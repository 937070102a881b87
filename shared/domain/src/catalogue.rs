//! The programs and the workloads each one covers. The catalogue is data: adding a workload is
//! adding a row, never a branch.

use crate::language::Language;
use crate::validation::{FieldCode, Invalid};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
use std::fmt;

/// What a partner-of-record lock is held on within a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockUnit {
    /// One partner per tenant and workload.
    Workload,
    /// One partner per tenant and subscription (business applications).
    Subscription,
}

/// An incentive program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Program(&'static ProgramEntry);

/// One row of the program table.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ProgramEntry {
    /// The code used on the wire, e.g. `osu-m365`.
    pub code: &'static str,
    /// The name in words, in each language: the program's own name stays as it is, the words
    /// around it are translated.
    pub names: ProgramNames,
    /// What one partner of record holds.
    pub unit: LockUnit,
}

/// A program's name in each language the service writes in.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ProgramNames {
    pub en: &'static str,
    pub it: &'static str,
    pub de: &'static str,
    pub fr: &'static str,
    pub es: &'static str,
    pub ja: &'static str,
}

impl ProgramNames {
    /// The name a reader of `language` reads.
    pub fn get(&self, language: Language) -> &'static str {
        match language {
            Language::English => self.en,
            Language::Italian => self.it,
            Language::German => self.de,
            Language::French => self.fr,
            Language::Spanish => self.es,
            Language::Japanese => self.ja,
        }
    }
}

static PROGRAMS: &[ProgramEntry] = &[
    ProgramEntry {
        code: "osa-sell",
        // The program's name alone, which no language translates.
        names: ProgramNames {
            en: "Online Services Advisory (OSA) Sell",
            it: "Online Services Advisory (OSA) Sell",
            de: "Online Services Advisory (OSA) Sell",
            fr: "Online Services Advisory (OSA) Sell",
            es: "Online Services Advisory (OSA) Sell",
            ja: "Online Services Advisory (OSA) Sell",
        },
        unit: LockUnit::Workload,
    },
    ProgramEntry {
        code: "osu-m365",
        names: ProgramNames {
            en: "Online Services Usage (OSU) for Microsoft 365",
            it: "Online Services Usage (OSU) per Microsoft 365",
            de: "Online Services Usage (OSU) für Microsoft 365",
            fr: "Online Services Usage (OSU) pour Microsoft 365",
            es: "Online Services Usage (OSU) para Microsoft 365",
            ja: "Microsoft 365 向け Online Services Usage (OSU)",
        },
        unit: LockUnit::Workload,
    },
    ProgramEntry {
        code: "osu-bizapps",
        names: ProgramNames {
            en: "Online Services Usage (OSU) for Business Applications",
            it: "Online Services Usage (OSU) per le applicazioni aziendali",
            de: "Online Services Usage (OSU) für Geschäftsanwendungen",
            fr: "Online Services Usage (OSU) pour les applications métier",
            es: "Online Services Usage (OSU) para aplicaciones empresariales",
            ja: "ビジネス アプリケーション向け Online Services Usage (OSU)",
        },
        unit: LockUnit::Subscription,
    },
];

/// One row of the workload catalogue.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct WorkloadEntry {
    /// The code used on the wire, e.g. `teams`.
    pub code: &'static str,
    /// The product's name, which is written the same in every language the service writes in
    /// (the vendor does not translate its products' names).
    pub name: &'static str,
    /// The programs in which the workload is eligible.
    pub programs: &'static [&'static str],
}

const M365: &[&str] = &["osa-sell", "osu-m365"];
const BIZAPPS: &[&str] = &["osu-bizapps"];

static WORKLOADS: &[WorkloadEntry] = &[
    WorkloadEntry {
        code: "exchange",
        name: "Exchange Online",
        programs: M365,
    },
    WorkloadEntry {
        code: "sharepoint",
        name: "SharePoint Online",
        programs: M365,
    },
    WorkloadEntry {
        code: "onedrive",
        name: "OneDrive",
        programs: M365,
    },
    WorkloadEntry {
        code: "teams",
        name: "Microsoft Teams",
        programs: M365,
    },
    WorkloadEntry {
        code: "intune",
        name: "Microsoft Intune",
        programs: M365,
    },
    WorkloadEntry {
        code: "entra-id",
        name: "Microsoft Entra ID",
        programs: M365,
    },
    WorkloadEntry {
        code: "defender",
        name: "Microsoft Defender",
        programs: M365,
    },
    WorkloadEntry {
        code: "m365-apps",
        name: "Microsoft 365 Apps",
        programs: M365,
    },
    WorkloadEntry {
        code: "windows",
        name: "Windows",
        programs: M365,
    },
    WorkloadEntry {
        code: "purview",
        name: "Microsoft Purview",
        programs: M365,
    },
    WorkloadEntry {
        code: "dynamics-sales",
        name: "Dynamics 365 Sales",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "dynamics-customer-service",
        name: "Dynamics 365 Customer Service",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "dynamics-field-service",
        name: "Dynamics 365 Field Service",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "dynamics-finance",
        name: "Dynamics 365 Finance",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "dynamics-supply-chain",
        name: "Dynamics 365 Supply Chain Management",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "power-apps",
        name: "Power Apps",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "power-automate",
        name: "Power Automate",
        programs: BIZAPPS,
    },
    WorkloadEntry {
        code: "power-bi",
        name: "Power BI",
        programs: BIZAPPS,
    },
];

impl Program {
    /// Parses a program code.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        PROGRAMS
            .iter()
            .find(|p| p.code == code)
            .map(Self)
            .ok_or_else(|| {
                let known: Vec<&str> = PROGRAMS.iter().map(|p| p.code).collect();
                Invalid::new(
                    FieldCode::UnknownProgram,
                    format!("must be one of: {}", known.join(", ")),
                )
            })
    }

    pub fn all() -> impl Iterator<Item = Program> {
        PROGRAMS.iter().map(Self)
    }

    /// The wire code.
    pub fn code(self) -> &'static str {
        self.0.code
    }

    /// The name in English, as the customers' e-mails and pages name it.
    pub fn name(self) -> &'static str {
        self.0.names.en
    }

    /// The name a reader of `language` reads.
    pub fn name_in(self, language: Language) -> &'static str {
        self.0.names.get(language)
    }

    /// Whether a claim in this program names a subscription (its unit is one).
    pub fn needs_subscription(self) -> bool {
        self.0.unit == LockUnit::Subscription
    }

    /// What one partner of record holds in this program.
    pub fn lock_unit(self) -> LockUnit {
        self.0.unit
    }

    /// The workloads eligible in this program.
    pub fn workloads(self) -> impl Iterator<Item = Workload> {
        WORKLOADS
            .iter()
            .filter(move |w| w.programs.contains(&self.0.code))
            .map(Workload)
    }

    /// Parses a workload code, which must be eligible in this program (an unknown code is not).
    pub fn workload(self, code: &str) -> Result<Workload, Invalid> {
        let workload = Workload::parse(code).ok();
        if let Some(workload) = workload.filter(|w| w.0.programs.contains(&self.0.code)) {
            Ok(workload)
        } else {
            let eligible: Vec<&str> = self.workloads().map(Workload::code).collect();
            Err(Invalid::new(
                FieldCode::WorkloadNotInProgram,
                format!(
                    "{code:?} is not eligible in {}; eligible: {}",
                    self.0.code,
                    eligible.join(", ")
                ),
            ))
        }
    }
}

/// A workload of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Workload(&'static WorkloadEntry);

impl Workload {
    /// Parses a workload code of any program.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        WORKLOADS
            .iter()
            .find(|w| w.code == code)
            .map(Self)
            .ok_or_else(|| {
                Invalid::new(
                    FieldCode::UnknownWorkload,
                    format!("{code:?} is not a known workload"),
                )
            })
    }

    /// The wire code.
    pub fn code(self) -> &'static str {
        self.0.code
    }

    /// The name in words.
    pub fn name(self) -> &'static str {
        self.0.name
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

macro_rules! serde_by_code {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = String::deserialize(d)?;
                Self::parse(&code).map_err(|e| D::Error::custom(e.message))
            }
        }
    };
}

serde_by_code!(Program);
serde_by_code!(Workload);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_is_eligible_in_osu_m365_but_not_in_bizapps() {
        let m365 = Program::parse("osu-m365").unwrap();
        let bizapps = Program::parse("osu-bizapps").unwrap();
        assert_eq!(m365.workload("teams").unwrap().name(), "Microsoft Teams");
        assert_eq!(
            bizapps.workload("teams").unwrap_err().code,
            FieldCode::WorkloadNotInProgram
        );
    }

    #[test]
    fn unknown_programs_and_workloads_are_refused_with_their_own_codes() {
        assert_eq!(
            Program::parse("osx").unwrap_err().code,
            FieldCode::UnknownProgram
        );
        let m365 = Program::parse("osu-m365").unwrap();
        assert_eq!(
            m365.workload("minecraft").unwrap_err().code,
            FieldCode::WorkloadNotInProgram
        );
        assert_eq!(
            Workload::parse("minecraft").unwrap_err().code,
            FieldCode::UnknownWorkload
        );
    }

    /// Each program is named in every language; the words around the program's own name are
    /// the language's, and English is what the customers' e-mails keep.
    #[test]
    fn a_program_is_named_in_each_language_with_its_own_name_kept() {
        let m365 = Program::parse("osu-m365").unwrap();
        assert_eq!(m365.name_in(Language::English), m365.name());
        assert_eq!(
            m365.name_in(Language::German),
            "Online Services Usage (OSU) für Microsoft 365"
        );
        assert_eq!(
            m365.name_in(Language::Japanese),
            "Microsoft 365 向け Online Services Usage (OSU)"
        );
        for program in Program::all() {
            for language in Language::ALL {
                let name = program.name_in(language);
                assert!(name.contains("(OS"), "{program} in {language:?}: {name}");
            }
        }
    }

    /// Only the business applications' program claims a subscription rather than a workload.
    #[test]
    fn only_the_business_applications_program_needs_a_subscription() {
        let needing: Vec<&str> = Program::all()
            .filter(|p| p.needs_subscription())
            .map(Program::code)
            .collect();
        assert_eq!(needing, ["osu-bizapps"]);
    }

    #[test]
    fn every_workload_belongs_to_a_program_of_the_table() {
        for w in WORKLOADS {
            assert!(!w.programs.is_empty(), "{}", w.code);
            for p in w.programs {
                assert!(Program::parse(p).is_ok(), "{} names {p}", w.code);
            }
        }
        assert_eq!(Program::parse("osa-sell").unwrap().workloads().count(), 10);
        assert_eq!(
            Program::parse("osu-bizapps").unwrap().workloads().count(),
            8
        );
    }
}
