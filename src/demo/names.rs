//! Invented Chinese names for the demo district: streets, compounds, agencies, companies.
//!
//! Street names are two syllables from the lists below plus a suffix (路/街), in the style of
//! northern coastal cities; the city (澄湾市) and district (望海区) are made up. Some syllable pairs
//! happen to spell real street names elsewhere; that is coincidence, the layout is synthetic.

use super::rng::SplitMix64;
use std::collections::HashMap;

/// The invented city.
pub(crate) const CITY: &str = "澄湾市";
/// The invented city without the 市 suffix, as used in company names.
pub(crate) const CITY_SHORT: &str = "澄湾";
/// The invented district.
pub(crate) const DISTRICT: &str = "望海区";

const FIRST: [&str; 30] = [
    "福", "延", "宁", "泰", "安", "海", "云", "兴", "华", "长", "金", "平", "和", "瑞", "昌", "嘉",
    "永", "康", "德", "新", "清", "惠", "明", "胜", "龙", "凤", "桂", "江", "崇", "广",
];
const SECOND: [&str; 20] = [
    "州", "安", "阳", "山", "川", "宁", "平", "城", "兴", "源", "德", "泉", "丰", "乐", "和", "定",
    "祥", "春", "远", "林",
];

const STREET_OFFICES: [&str; 16] = [
    "云溪", "临江", "望岳", "清平", "枫桥", "松岭", "汇泉", "观澜", "青石", "柳营", "南岗", "双桥",
    "白沙", "金鸡", "凌霄", "嘉禾",
];

const FIRM_WORDS: [&str; 16] = [
    "华兴", "国盛", "宏达", "恒远", "鑫源", "金泰", "安信", "海丰", "瑞祥", "永昌", "东方", "凯旋",
    "汇通", "德润", "长兴", "新亚",
];

const FACTORY_KINDS: [&str; 8] = [
    "机械厂",
    "纺织厂",
    "橡胶厂",
    "印刷厂",
    "食品厂",
    "化工厂",
    "五金厂",
    "针织厂",
];

const COMMERCIAL_SUFFIX: [&str; 5] = [
    "商贸有限公司",
    "置业有限公司",
    "实业有限公司",
    "商业管理有限公司",
    "贸易有限公司",
];

/// District agencies that occupy 08H1 compounds.
pub(crate) const AGENCIES: [&str; 14] = [
    "望海区人民政府",
    "望海区发展和改革局",
    "望海区教育和体育局",
    "望海区民政局",
    "望海区卫生健康局",
    "望海区住房和城乡建设局",
    "望海区市场监督管理局",
    "望海区司法局",
    "澄湾市自然资源和规划局望海分局",
    "望海区人力资源和社会保障局",
    "望海区退役军人事务局",
    "望海区城市管理局",
    "望海区财政局",
    "望海区统计局",
];

/// Public institutions (事业单位) that occupy 08H1 compounds.
pub(crate) const INSTITUTES: [&str; 5] = [
    "望海区档案馆",
    "望海区不动产登记中心",
    "望海区疾病预防控制中心",
    "澄湾市测绘研究院",
    "望海区机关事务服务中心",
];

/// Chinese numeral for 1..=99 (一, 十二, 二十 …); larger numbers in digits.
pub(crate) fn cn_num(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0 => "零".to_string(),
        1..=9 => D[n as usize].to_string(),
        10..=19 => format!("十{}", D[(n % 10) as usize]),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

/// A deterministic list of distinct two-syllable base names (福州, 延安 …), shuffled by `seed`.
pub(crate) fn street_bases(seed: u64) -> Vec<String> {
    let mut all: Vec<String> = Vec::with_capacity(FIRST.len() * SECOND.len());
    for a in FIRST {
        for b in SECOND {
            if a != b {
                all.push(format!("{a}{b}"));
            }
        }
    }
    let mut rng = SplitMix64::new(seed ^ 0x5EED_0000_0000_0001);
    for i in (1..all.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        all.swap(i, j);
    }
    all
}

/// The street office (街道) name for a region index.
pub(crate) fn street_office(region: u64) -> String {
    let base = STREET_OFFICES[(region % STREET_OFFICES.len() as u64) as usize];
    let round = region / STREET_OFFICES.len() as u64;
    if round == 0 {
        format!("{base}街道")
    } else {
        format!("{base}{}街道", cn_num(round as u32 + 1))
    }
}

/// A two-syllable invented name (for rivers, expressways, new compounds, brands).
pub(crate) fn two_syllables(rng: &mut SplitMix64) -> String {
    format!("{}{}", rng.pick(&FIRST), rng.pick(&SECOND))
}

/// A fictitious private company name.
pub(crate) fn private_company(rng: &mut SplitMix64) -> String {
    format!(
        "{CITY}{}{}",
        rng.pick(&FIRM_WORDS),
        rng.pick(&COMMERCIAL_SUFFIX)
    )
}

/// A fictitious state-owned company name.
pub(crate) fn state_company(rng: &mut SplitMix64) -> String {
    format!("{CITY_SHORT}{}集团有限公司", rng.pick(&FIRM_WORDS))
}

/// A fictitious old factory name (国营/集体 era).
pub(crate) fn factory(rng: &mut SplitMix64) -> String {
    if rng.chance(0.3) {
        format!(
            "{CITY_SHORT}第{}{}",
            cn_num(rng.int(1, 9)),
            rng.pick(&FACTORY_KINDS)
        )
    } else {
        format!(
            "{CITY_SHORT}{}{}",
            rng.pick(&FIRM_WORDS),
            rng.pick(&FACTORY_KINDS)
        )
    }
}

/// A fictitious village collective (for QSXZ 30 parcels).
pub(crate) fn collective(street_office: &str, rng: &mut SplitMix64) -> String {
    let office = street_office.trim_end_matches("街道");
    format!("{office}{}村股份经济合作社", rng.pick(&FIRST))
}

/// Registry that keeps compound names unique by appending 二区, 三区 … to repeats.
#[derive(Debug, Default)]
pub(crate) struct NameRegistry {
    seen: HashMap<String, u32>,
}

impl NameRegistry {
    /// `name` the first time, then `name二区`, `name三区` ….
    pub(crate) fn unique(&mut self, name: String) -> String {
        let n = self.seen.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            name
        } else {
            format!("{name}{}区", cn_num(*n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals() {
        assert_eq!(cn_num(1), "一");
        assert_eq!(cn_num(10), "十");
        assert_eq!(cn_num(12), "十二");
        assert_eq!(cn_num(20), "二十");
        assert_eq!(cn_num(35), "三十五");
    }

    #[test]
    fn bases_are_distinct_and_deterministic() {
        let a = street_bases(1);
        let b = street_bases(1);
        assert_eq!(a, b);
        let mut s = a.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), a.len());
        assert_ne!(street_bases(2), a);
    }

    #[test]
    fn registry_appends_district_suffix() {
        let mut r = NameRegistry::default();
        assert_eq!(r.unique("福州路小区".into()), "福州路小区");
        assert_eq!(r.unique("福州路小区".into()), "福州路小区二区");
    }
}
