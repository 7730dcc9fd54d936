//! Entry point (thin, as in the Leptos examples): mount [`bourse_web::App`], or on
//! `teacher.html` (the same build under a second name) [`bourse_web::teacher::TeacherApp`].

fn main() {
    console_error_panic_hook::set_once();
    let teacher = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .is_some_and(|p| p.ends_with("/teacher.html") || p == "teacher.html");
    if teacher {
        leptos::mount::mount_to_body(bourse_web::teacher::TeacherApp);
    } else {
        leptos::mount::mount_to_body(bourse_web::App);
    }
}
