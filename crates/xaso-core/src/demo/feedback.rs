//! Citizen feedback in the demo: the categories a commune would use and a few reports in
//! every state, with the Open311 key scripts use.

use xaso_storage::{Files, Store};

use super::DEMO_OPEN311_KEY;
use crate::{Actor, Result};

/// Feedback categories a commune would use: code (Open311 service_code), Vietnamese and English
/// names, group, the commune's official who handles it, deadline and its unit, and the NTM
/// criteria each touches (a bare number in the 2021–2025 set, and in the 2026–2030 set by key). Deadlines are the demo's choice, not a rule.
struct DemoCategory {
    code: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
    group: &'static str,
    handler: &'static str,
    deadline: i64,
    unit: &'static str,
    criteria: &'static str,
}

const FEEDBACK_CATEGORIES: &[DemoCategory] = &[
    DemoCategory {
        code: "giao-thong",
        name_vi: "Đường sá, cầu cống hư hỏng",
        name_en: "Damaged roads, bridges and culverts",
        group: "Hạ tầng",
        handler: "Công chức Địa chính – Xây dựng",
        deadline: 5,
        unit: "working_days",
        criteria: "2,vn-xa-ntm-2026-2030:2",
    },
    DemoCategory {
        code: "chieu-sang",
        name_vi: "Đèn chiếu sáng công cộng",
        name_en: "Street lighting",
        group: "Hạ tầng",
        handler: "Công chức Địa chính – Xây dựng",
        deadline: 3,
        unit: "working_days",
        criteria: "4,vn-xa-ntm-2026-2030:2",
    },
    DemoCategory {
        code: "dien-nguy-hiem",
        name_vi: "Dây điện, trụ điện nguy hiểm",
        name_en: "Dangerous power lines or poles",
        group: "Hạ tầng",
        handler: "Công chức Địa chính – Xây dựng",
        deadline: 24,
        unit: "hours",
        criteria: "4,vn-xa-ntm-2026-2030:2",
    },
    DemoCategory {
        code: "thuy-loi",
        name_vi: "Kênh mương, thủy lợi, ngập úng",
        name_en: "Canals, irrigation, flooding",
        group: "Hạ tầng",
        handler: "Công chức Địa chính – Nông nghiệp",
        deadline: 5,
        unit: "working_days",
        criteria: "3,vn-xa-ntm-2026-2030:2",
    },
    DemoCategory {
        code: "moi-truong",
        name_vi: "Rác thải, ô nhiễm môi trường",
        name_en: "Waste and pollution",
        group: "Môi trường",
        handler: "Công chức Địa chính – Môi trường",
        deadline: 5,
        unit: "working_days",
        criteria: "17,vn-xa-ntm-2026-2030:8",
    },
    DemoCategory {
        code: "an-ninh",
        name_vi: "An ninh, trật tự",
        name_en: "Security and public order",
        group: "An ninh",
        handler: "Công an xã",
        deadline: 24,
        unit: "hours",
        criteria: "19,vn-xa-ntm-2026-2030:10",
    },
    DemoCategory {
        code: "dich-vu-cong",
        name_vi: "Thủ tục hành chính, dịch vụ công",
        name_en: "Administrative procedures and public services",
        group: "Dịch vụ công",
        handler: "Văn phòng – Thống kê",
        deadline: 5,
        unit: "working_days",
        criteria: "18,vn-xa-ntm-2026-2030:9",
    },
    DemoCategory {
        code: crate::ict::REPORT_CATEGORY,
        name_vi: "Wi-Fi công cộng, loa truyền thanh, bảng tin điện tử",
        name_en: "Public Wi-Fi, loudspeakers, e-bulletin boards",
        group: "Hạ tầng",
        handler: "Văn phòng – Thống kê",
        deadline: 3,
        unit: "working_days",
        criteria: "8,vn-xa-ntm-2026-2030:7",
    },
    DemoCategory {
        code: "khac",
        name_vi: "Vấn đề khác",
        name_en: "Something else",
        group: "Khác",
        handler: "Văn phòng – Thống kê",
        deadline: 10,
        unit: "working_days",
        criteria: "",
    },
];

pub(super) async fn load_feedback(store: &Store, files: &Files, system: &Actor) -> Result<()> {
    for (i, c) in FEEDBACK_CATEGORIES.iter().enumerate() {
        crate::feedback::save_category(
            store,
            Some(system),
            None,
            crate::feedback::CategoryInput {
                code: c.code.into(),
                name_vi: c.name_vi.into(),
                name_en: c.name_en.into(),
                description: String::new(),
                group: c.group.into(),
                keywords: String::new(),
                handler: c.handler.into(),
                deadline_value: c.deadline,
                deadline_unit: c.unit.into(),
                criteria: c.criteria.into(),
                active: true,
                position: i as i64,
            },
        )
        .await?;
    }
    crate::feedback::create_open311_key(
        store,
        Some(system),
        "Ứng dụng dùng thử (khóa cố định, chỉ cho dữ liệu mẫu)",
        Some(DEMO_OPEN311_KEY),
    )
    .await?;
    // A few illustrative cases, so the public list and a commune's figures are not empty. No
    // reporter is named: they are made up.
    use crate::feedback::{change_status, Location, Report, Reporter};
    use xaso_domain::feedback::{Channel, Status};
    type Steps = &'static [(Status, &'static str)];
    let cases: &[(&str, &str, &str, Steps)] = &[
        (
            "giao-thong",
            "Đoạn đường ấp Bình Tả 1 gần cầu có ổ gà lớn, xe máy dễ té khi trời mưa. (Dữ liệu mẫu)",
            "27937",
            &[
                (
                    Status::Accepted,
                    "Đã chuyển công chức Địa chính – Xây dựng kiểm tra.",
                ),
                (
                    Status::InProgress,
                    "Đã khảo sát; dự kiến vá mặt đường trong tuần.",
                ),
            ],
        ),
        (
            "chieu-sang",
            "Ba bóng đèn đường trên tuyến liên ấp không sáng từ tuần trước. (Dữ liệu mẫu)",
            "27937",
            &[(
                Status::Resolved,
                "Đã thay bóng đèn, tuyến đường sáng trở lại.",
            )],
        ),
        (
            "moi-truong",
            "Có điểm đổ rác tự phát ven kênh, bốc mùi. (Dữ liệu mẫu)",
            "27931",
            &[],
        ),
    ];
    for (category, text, unit, steps) in cases {
        let s = crate::feedback::submit(
            store,
            files,
            Some(system),
            Report {
                category: (*category).into(),
                description: (*text).into(),
                location: Location {
                    latitude: None,
                    longitude: None,
                    place_code: String::new(),
                    unit_code: (*unit).into(),
                    address: String::new(),
                },
                reporter: Reporter::default(),
                channel: Channel::Web,
                photos: Vec::new(),
                asset_id: None,
            },
        )
        .await?;
        for (to, note) in steps.iter() {
            change_status(store, Some(system), &s.id, *to, note, "").await?;
        }
    }
    Ok(())
}
