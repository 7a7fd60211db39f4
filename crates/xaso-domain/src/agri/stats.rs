//! A season's statistics: area sown and harvested, output and yield by crop, added up the same
//! way for a village, a commune and an area, so the parts always sum to the whole.

use std::collections::BTreeMap;

use super::farming::Crop;

// Livestock counted in the periodic surveys (per village).
vocabulary!(Species {
    Buffalo = "buffalo" / "Trâu",
    Cattle = "cattle" / "Bò",
    Pig = "pig" / "Heo (lợn)",
    Poultry = "poultry" / "Gia cầm",
    Goat = "goat" / "Dê",
});

/// Plantings of one crop in one village (or commune) as the statistics count them: a single
/// planting, or several already summed by the database.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantingFact {
    pub commune: String,
    pub village: Option<String>,
    pub crop: Crop,
    pub plantings: u64,
    pub sown_m2: f64,
    /// The sown area of the plantings with a harvest logged.
    pub harvested_m2: f64,
    pub output_kg: f64,
}

/// One crop's line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CropLine {
    pub crop: Crop,
    pub plantings: u64,
    pub sown_m2: f64,
    pub harvested_m2: f64,
    pub output_kg: f64,
}

impl CropLine {
    /// Yield in tạ per hectare (100 kg/ha), as the statistics office writes it; none before a
    /// harvest.
    pub fn yield_ta_per_ha(&self) -> Option<f64> {
        (self.harvested_m2 > 0.0).then(|| (self.output_kg / 100.0) / (self.harvested_m2 / 10_000.0))
    }
}

/// The lines of a set of plantings, one per crop in the vocabulary's order.
pub fn lines<'a>(facts: impl IntoIterator<Item = &'a PlantingFact>) -> Vec<CropLine> {
    let mut by: BTreeMap<usize, CropLine> = BTreeMap::new();
    for f in facts {
        let order = Crop::ALL.iter().position(|c| *c == f.crop).unwrap_or(0);
        let l = by.entry(order).or_insert(CropLine {
            crop: f.crop,
            plantings: 0,
            sown_m2: 0.0,
            harvested_m2: 0.0,
            output_kg: 0.0,
        });
        l.plantings += f.plantings;
        l.sown_m2 += f.sown_m2;
        l.harvested_m2 += f.harvested_m2;
        l.output_kg += f.output_kg;
    }
    by.into_values().collect()
}

/// The lines of each group (a village or a commune), keyed by what `key` gives.
pub fn grouped<'a, K: Ord>(
    facts: &'a [PlantingFact],
    key: impl Fn(&'a PlantingFact) -> K,
) -> BTreeMap<K, Vec<CropLine>> {
    let mut groups: BTreeMap<K, Vec<&PlantingFact>> = BTreeMap::new();
    for f in facts {
        groups.entry(key(f)).or_default().push(f);
    }
    groups.into_iter().map(|(k, fs)| (k, lines(fs))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(commune: &str, village: &str, crop: Crop, sown: f64, out: f64) -> PlantingFact {
        PlantingFact {
            commune: commune.into(),
            village: Some(village.into()),
            crop,
            plantings: 1,
            sown_m2: sown,
            harvested_m2: if out > 0.0 { sown } else { 0.0 },
            output_kg: out,
        }
    }

    #[test]
    fn villages_add_up_to_the_commune_and_yields_are_in_ta_per_ha() {
        let facts = vec![
            fact("A", "A-1", Crop::Rice, 10_000.0, 6_000.0),
            fact("A", "A-2", Crop::Rice, 5_000.0, 0.0),
            fact("A", "A-2", Crop::Peanut, 2_000.0, 500.0),
            fact("B", "B-1", Crop::Rice, 20_000.0, 13_000.0),
        ];
        let whole = lines(&facts);
        assert_eq!(whole[0].crop, Crop::Rice);
        assert_eq!(whole[0].sown_m2, 35_000.0);
        assert_eq!(whole[0].harvested_m2, 30_000.0);
        assert_eq!(whole[0].yield_ta_per_ha(), Some(190.0 / 3.0));
        let by_village = grouped(&facts, |f| f.village.clone());
        let rice_sum: f64 = by_village
            .values()
            .flatten()
            .filter(|l| l.crop == Crop::Rice)
            .map(|l| l.sown_m2)
            .sum();
        assert_eq!(rice_sum, whole[0].sown_m2);
        let peanut = &by_village[&Some("A-2".to_string())][1];
        assert_eq!(
            (peanut.crop, peanut.yield_ta_per_ha()),
            (Crop::Peanut, Some(25.0))
        );
        let unharvested = CropLine {
            harvested_m2: 0.0,
            ..whole[0].clone()
        };
        assert_eq!(unharvested.yield_ta_per_ha(), None);
    }
}
