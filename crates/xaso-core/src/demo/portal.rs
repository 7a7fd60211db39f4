//! The demo's commune portal for today's Xã Đức Hòa: news drawn from the Đức Hòa report's facts
//! (shared/reference/dt-programme.md), a pinned announcement, documents and service guides.
//! Everything is labelled as demo content; document numbers are illustrative, and national
//! procedure codes are left empty (not verified) with a link to the national portal instead.

use chrono::{DateTime, Duration, Utc};
use xaso_domain::portal::{PostInput, PostStatus};
use xaso_storage::Store;

use crate::{Actor, Result};

const COMMUNE: &str = "27937";
const LABEL: &str = "(Dữ liệu mẫu của bản trình diễn.)";

fn post(kind: &str, title: &str, summary: &str, body: &str) -> PostInput {
    PostInput {
        kind: kind.into(),
        title: title.into(),
        summary: summary.into(),
        body: format!("{body}\n\n{LABEL}"),
        ..Default::default()
    }
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

pub(super) async fn load(store: &Store, system: &Actor, now: DateTime<Utc>) -> Result<()> {
    let mut posts = Vec::new();
    let mut a = post(
        "announcement",
        "Thông báo: hỗ trợ cài đặt VNeID và dịch vụ công trực tuyến tại nhà văn hóa ấp (mẫu)",
        "Tổ công nghệ số cộng đồng các ấp hỗ trợ người dân cài đặt, kích hoạt VNeID và nộp hồ sơ trực tuyến vào sáng thứ Bảy hằng tuần.",
        "Người dân mang theo căn cước và điện thoại thông minh. Tổ công nghệ số cộng đồng hướng dẫn cài đặt ứng dụng, kích hoạt tài khoản định danh điện tử và nộp hồ sơ trên Cổng dịch vụ công.\n\nMọi phản ánh, kiến nghị xin gọi đường dây nóng 1022 hoặc gửi qua trang Phản ánh của xã.",
    );
    a.pinned = true;
    a.publish_at = at(now - Duration::days(2));
    a.expire_at = at(now + Duration::days(60));
    posts.push(a);
    let mut n = post(
        "news",
        "Tập huấn chuyển đổi số cho Ban Chỉ đạo và Tổ công nghệ số cộng đồng",
        "Tháng 5/2024, hơn 300 thành viên Ban Chỉ đạo chuyển đổi số cấp xã và Tổ công nghệ số cộng đồng của huyện Đức Hòa được tập huấn.",
        "Nội dung tập huấn gồm thực trạng chuyển đổi số ở cơ sở; việc xã và tổ công nghệ số cộng đồng cần làm; an toàn trên môi trường số; tổng quan chuyển đổi số cấp xã và cách tuyên truyền cho người dân.\n\nGiảng viên là Phó Giám đốc Trung tâm Công nghệ thông tin và Truyền thông tỉnh Long An.",
    );
    n.publish_at = at(DateTime::parse_from_rfc3339("2024-05-20T08:00:00+07:00")
        .expect("a fixed time")
        .with_timezone(&Utc));
    posts.push(n);
    let mut n = post(
        "news",
        "Gắn mã QR tại các di tích lịch sử",
        "Tháng 4/2024, Hội Liên hiệp Phụ nữ huyện Đức Hòa ra mắt mô hình gắn mã QR tại các di tích lịch sử.",
        "Quét mã QR tại di tích, người dân và du khách đọc giới thiệu, lịch sử và nghe thuyết minh ngay trên điện thoại. Trang thông tin các di tích có trên Xã Số.",
    );
    n.publish_at = at(DateTime::parse_from_rfc3339("2024-04-25T08:00:00+07:00")
        .expect("a fixed time")
        .with_timezone(&Utc));
    posts.push(n);
    let mut n = post(
        "news",
        "Wi-Fi miễn phí tại trụ sở UBND xã và chợ (mẫu)",
        "Xã lắp điểm phát Wi-Fi công cộng miễn phí tại trụ sở UBND và cổng chợ.",
        "Người dân chọn tên mạng trên điện thoại, không cần mật khẩu. Bản đồ các điểm Wi-Fi và tình trạng hoạt động có ở mục Wi-Fi công cộng.",
    );
    n.publish_at = at(now - Duration::days(10));
    posts.push(n);
    let mut d = post(
        "document",
        "Kế hoạch chuyển đổi số xã năm 2026 (mẫu)",
        "Kế hoạch chuyển đổi số gắn với các chỉ tiêu nông thôn mới của xã.",
        "Văn bản minh họa: số hiệu, ngày và nội dung không phải văn bản thật.",
    );
    d.doc_number = "01/KH-UBND (mẫu)".into();
    d.doc_date = "15/01/2026".into();
    d.doc_issuer = "UBND Xã Đức Hòa".into();
    d.doc_type = "Kế hoạch".into();
    d.publish_at = at(now - Duration::days(300));
    posts.push(d);
    let mut d = post(
        "document",
        "Quyết định kiện toàn Tổ công nghệ số cộng đồng các ấp (mẫu)",
        "Danh sách tổ trưởng và thành viên Tổ công nghệ số cộng đồng từng ấp.",
        "Văn bản minh họa: số hiệu, ngày và nội dung không phải văn bản thật.",
    );
    d.doc_number = "25/QĐ-UBND (mẫu)".into();
    d.doc_date = "02/03/2026".into();
    d.doc_issuer = "UBND Xã Đức Hòa".into();
    d.doc_type = "Quyết định".into();
    d.publish_at = at(now - Duration::days(270));
    posts.push(d);
    for (title, summary, steps) in [
        (
            "Đăng ký khai sinh trực tuyến",
            "Cha mẹ đăng ký khai sinh cho con trên Cổng dịch vụ công quốc gia, không cần đến trụ sở.",
            "Đăng nhập Cổng dịch vụ công quốc gia bằng tài khoản VNeID, tìm thủ tục đăng ký khai sinh, chọn UBND xã nơi cư trú.\n\nNếu cần hỗ trợ, đến bộ phận một cửa của xã hoặc nhờ Tổ công nghệ số cộng đồng của ấp.",
        ),
        (
            "Chứng thực bản sao từ bản chính",
            "Chứng thực bản sao giấy tờ tại bộ phận một cửa của UBND xã.",
            "Mang bản chính và bản sao cần chứng thực đến bộ phận một cửa của xã trong giờ làm việc.\n\nTra cứu thủ tục và lệ phí trên Cổng dịch vụ công quốc gia.",
        ),
        (
            "Đăng ký thường trú",
            "Nộp hồ sơ đăng ký thường trú trực tuyến trên Cổng dịch vụ công.",
            "Đăng nhập Cổng dịch vụ công quốc gia bằng tài khoản VNeID, chọn thủ tục đăng ký thường trú và nộp hồ sơ cho Công an xã.\n\nNếu cần hỗ trợ, liên hệ Công an xã hoặc Tổ công nghệ số cộng đồng của ấp.",
        ),
    ] {
        let mut g = post("guide", title, summary, "Hướng dẫn mẫu; mã thủ tục quốc gia tra trên Cổng dịch vụ công.");
        g.where_to_file = steps.into();
        g.portal_url = "https://dichvucong.gov.vn/".into();
        g.publish_at = at(now - Duration::days(30));
        posts.push(g);
    }
    let mut intro = post(
        "page",
        "Giới thiệu Xã Đức Hòa",
        "Xã Đức Hòa, tỉnh Tây Ninh, hình thành từ ngày 01/7/2025 khi sắp xếp đơn vị hành chính hai cấp.",
        "Trang giới thiệu mẫu: lịch sử hình thành, vị trí, dân cư và các thôn, ấp của xã do cán bộ xã viết. Các xã trước sáp nhập xem ở trang đơn vị hành chính.",
    );
    intro.slug = "gioi-thieu".into();
    intro.publish_at = at(now - Duration::days(150));
    posts.push(intro);
    for (name, role, hours) in [
        (
            "Bộ phận Tiếp nhận và trả kết quả (Một cửa) (mẫu)",
            "Nhận hồ sơ thủ tục hành chính, trả kết quả",
            "7:00–11:30 và 13:30–17:00, thứ Hai đến thứ Sáu",
        ),
        (
            "Văn phòng HĐND và UBND xã (mẫu)",
            "Tiếp công dân, văn thư",
            "Tiếp công dân sáng thứ Năm hằng tuần",
        ),
    ] {
        crate::portal::contacts::save(
            store,
            Some(system),
            COMMUNE,
            "",
            &xaso_domain::portal::ContactInput {
                name: name.into(),
                role: role.into(),
                hours: hours.into(),
                ..Default::default()
            },
        )
        .await?;
    }
    for p in posts {
        let created = crate::portal::create(store, Some(system), COMMUNE, &p).await?;
        crate::portal::transition(
            store,
            Some(system),
            &created.row.id,
            PostStatus::Published,
            "",
        )
        .await?;
    }
    Ok(())
}
