from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    # Anyone's: leaving feedback, confirming it by the mailed link, reporting it.
    path("new/<slug:slug>/", views.FeedbackCreateView.as_view(), name="new"),
    path("sent/<slug:slug>/", views.FeedbackSentView.as_view(), name="sent"),
    path("confirm/<str:token>/", views.FeedbackConfirmView.as_view(), name="confirm"),
    path("<int:pk>/report/", views.FeedbackReportView.as_view(), name="report"),
    # Moderators' and parties'.
    path("moderation/", views.ModerationQueueView.as_view(), name="moderation"),
    path("<int:pk>/moderate/", views.FeedbackModerateView.as_view(), name="moderate"),
    path("<int:pk>/respond/", views.FeedbackRespondView.as_view(), name="respond"),
    path("closure/<slug:slug>/", views.FeedbackClosureView.as_view(), name="closure"),
]
