"""faculty scale: partner questions, enrolment and teams, sign-in and LTI, showcase, evaluations and peer feedback, dashboard summaries, e-mail change, deliverable due dates

Revision ID: 0004_faculty_scale
Revises: 0003_beyond_course
Create Date: 2026-12-06 18:15:59.105147

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_faculty_scale'
down_revision = '0003_beyond_course'
branch_labels = None
depends_on = None

INVITATION_TARGET_BEFORE = "(role = 'teacher' AND project_id IS NULL) OR (role <> 'teacher' AND project_id IS NOT NULL)"
INVITATION_TARGET_NOW = ("(role = 'teacher' AND project_id IS NULL) OR (role = 'partner' AND project_id IS NOT NULL)"
                         " OR role = 'student'")


def upgrade():
    op.create_table('lti_launch_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_launch_value')),
    sa.UniqueConstraint('key', name=op.f('uq_lti_launch_value_key'))
    )
    with op.batch_alter_table('lti_launch_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_launch_value_expires_at'), ['expires_at'], unique=False)

    op.create_table('lti_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('auth_login_url', sa.String(length=500), nullable=False),
    sa.Column('auth_token_url', sa.String(length=500), nullable=False),
    sa.Column('key_set_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platform')),
    sa.UniqueConstraint('issuer', 'client_id', name='one_lti_registration_per_client')
    )
    op.create_table('lti_tool_key',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_tool_key'))
    )
    op.create_table('choice_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('min_size', sa.Integer(), nullable=False),
    sa.Column('max_size', sa.Integer(), nullable=False),
    sa.Column('choices_count', sa.Integer(), server_default='3', nullable=False),
    sa.Column('allow_unfilled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('open', 'proposed', 'published')", name=op.f('ck_choice_round_choice_round_state')),
    sa.CheckConstraint('choices_count >= 1', name=op.f('ck_choice_round_choice_round_choices')),
    sa.CheckConstraint('min_size >= 1 AND max_size >= min_size', name=op.f('ck_choice_round_choice_round_sizes')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_choice_round_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_choice_round_opened_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_choice_round'))
    )
    with op.batch_alter_table('choice_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_choice_round_course_id'), ['course_id'], unique=False)
        batch_op.create_index('one_unpublished_round_per_course', ['course_id'], unique=True, sqlite_where=sa.text("state != 'published'"), postgresql_where=sa.text("state != 'published'"))

    op.create_table('course_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('student_number', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('enrolled', 'left')", name=op.f('ck_course_enrolment_enrolment_status')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_enrolment_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_course_enrolment_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_enrolment')),
    sa.UniqueConstraint('course_id', 'user_id', name='one_enrolment_per_course')
    )
    with op.batch_alter_table('course_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_enrolment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_enrolment_user_id'), ['user_id'], unique=False)

    op.create_table('course_join_code',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_join_code_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', name=op.f('pk_course_join_code')),
    sa.UniqueConstraint('code', name='join_code_unique')
    )
    op.create_table('email_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('old_email', sa.String(length=254), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=False),
    sa.Column('cancel_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_change_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_change')),
    sa.UniqueConstraint('cancel_hash', name=op.f('uq_email_change_cancel_hash')),
    sa.UniqueConstraint('confirm_hash', name=op.f('uq_email_change_confirm_hash'))
    )
    with op.batch_alter_table('email_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_change_user_id'), ['user_id'], unique=False)

    op.create_table('external_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_external_identity_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identity')),
    sa.UniqueConstraint('provider', 'subject', name='uq_external_identity_provider_subject')
    )
    with op.batch_alter_table('external_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_identity_user_id'), ['user_id'], unique=False)

    op.create_table('lti_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_lti_account_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_account')),
    sa.UniqueConstraint('issuer', 'subject', name='one_lti_account')
    )
    with op.batch_alter_table('lti_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_account_user_id'), ['user_id'], unique=False)

    op.create_table('lti_context',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('memberships_url', sa.String(length=1000), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_lti_context_course_id_course'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], name=op.f('fk_lti_context_platform_id_lti_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_context')),
    sa.UniqueConstraint('course_id', name='one_lti_context_per_course'),
    sa.UniqueConstraint('platform_id', 'context_id', name='one_lti_context')
    )
    with op.batch_alter_table('lti_context', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_context_platform_id'), ['platform_id'], unique=False)

    op.create_table('lti_deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], name=op.f('fk_lti_deployment_platform_id_lti_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_deployment')),
    sa.UniqueConstraint('platform_id', 'deployment_id', name='one_lti_deployment_id')
    )
    with op.batch_alter_table('lti_deployment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_deployment_platform_id'), ['platform_id'], unique=False)

    op.create_table('peer_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_peer_round_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_round'))
    )
    with op.batch_alter_table('peer_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_round_course_id'), ['course_id'], unique=False)

    op.create_table('partner_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('value_keys', sa.JSON(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user.id'], name=op.f('fk_partner_evaluation_asked_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_partner_evaluation_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_evaluation')),
    sa.UniqueConstraint('project_id', name=op.f('uq_partner_evaluation_project_id'))
    )
    op.create_table('partner_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('claimed_organisation_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('affected', sa.Text(), nullable=False),
    sa.Column('hopes', sa.Text(), nullable=False),
    sa.Column('availability', sa.Text(), nullable=False),
    sa.Column('languages', sa.String(length=200), nullable=False),
    sa.Column('themes', sa.String(length=500), nullable=False),
    sa.Column('consent', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('term', sa.String(length=60), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('unconfirmed', 'new', 'info_requested', 'matched', 'parked', 'declined', 'withdrawn')", name=op.f('ck_partner_question_partner_question_status')),
    sa.ForeignKeyConstraint(['claimed_organisation_id'], ['organisation.id'], name=op.f('fk_partner_question_claimed_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_partner_question_course_id_course'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partner_question_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_partner_question_project_id_project'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_question')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_partner_question_token_hash'))
    )
    with op.batch_alter_table('partner_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_question_claimed_organisation_id'), ['claimed_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_question_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_question_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_question_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_partner_question_status_waiting', ['status', 'waiting_since'], unique=False)

    op.create_table('peer_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('rated_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_peer_rating_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_id'], ['user.id'], name=op.f('fk_peer_rating_rated_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_id'], ['user.id'], name=op.f('fk_peer_rating_rater_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['peer_round.id'], name=op.f('fk_peer_rating_round_id_peer_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_rating')),
    sa.UniqueConstraint('round_id', 'rater_id', 'rated_id', name='uq_peer_rating_once')
    )
    with op.batch_alter_table('peer_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_rating_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_peer_rating_round_id'), ['round_id'], unique=False)

    op.create_table('placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('moved', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_placement_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['choice_round.id'], name=op.f('fk_placement_round_id_choice_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_placement_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement')),
    sa.UniqueConstraint('round_id', 'user_id', name='one_placement_per_student')
    )
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_user_id'), ['user_id'], unique=False)

    op.create_table('project_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_project_choice_choice_rank_positive')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_choice_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['choice_round.id'], name=op.f('fk_project_choice_round_id_choice_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_project_choice_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_choice')),
    sa.UniqueConstraint('round_id', 'user_id', 'project_id', name='one_rank_per_project'),
    sa.UniqueConstraint('round_id', 'user_id', 'rank', name='one_choice_per_rank')
    )
    with op.batch_alter_table('project_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_choice_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_choice_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_choice_user_id'), ['user_id'], unique=False)

    op.create_table('project_summary',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_summary_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_summary'))
    )
    op.create_table('evaluation_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('changed', sa.Text(), nullable=False),
    sa.Column('work_again', sa.String(length=8), nullable=False),
    sa.Column('work_again_why', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("work_again in ('yes', 'maybe', 'no')", name=op.f('ck_evaluation_answer_evaluation_work_again')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['partner_evaluation.id'], name=op.f('fk_evaluation_answer_evaluation_id_partner_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_evaluation_answer_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_answer')),
    sa.UniqueConstraint('evaluation_id', 'user_id', name='uq_evaluation_answer_once')
    )
    with op.batch_alter_table('evaluation_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_answer_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deliverable_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('partner_word', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverable.id'], name=op.f('fk_publication_deliverable_id_deliverable'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_publication_published_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user.id'], name=op.f('fk_publication_withdrawn_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('deliverable_id', name=op.f('uq_publication_deliverable_id'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_published_at'), ['published_at'], unique=False)

    op.create_table('question_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_question_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['partner_question.id'], name=op.f('fk_question_event_question_id_partner_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_event'))
    )
    with op.batch_alter_table('question_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_event_question_id'), ['question_id'], unique=False)

    op.create_table('publication_file',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_publication_file_file_id_stored_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_file_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'file_id', name=op.f('pk_publication_file'))
    )
    with op.batch_alter_table('publication_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_file_file_id'), ['file_id'], unique=False)

    op.create_table('publication_link',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['version_link.id'], name=op.f('fk_publication_link_link_id_version_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_link_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'link_id', name=op.f('pk_publication_link'))
    )
    with op.batch_alter_table('publication_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_link_link_id'), ['link_id'], unique=False)

    with op.batch_alter_table('deliverable', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('student_number', sa.String(length=40), server_default='', nullable=False))
        # A student may now be invited to the course alone (class enrolment), without a project.
        batch_op.drop_constraint(op.f('ck_invitation_invitation_target'), type_='check')
        batch_op.create_check_constraint('invitation_target', INVITATION_TARGET_NOW)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_only', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('sso_only')

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invitation_invitation_target'), type_='check')
        batch_op.create_check_constraint('invitation_target', INVITATION_TARGET_BEFORE)
        batch_op.drop_column('student_number')

    with op.batch_alter_table('deliverable', schema=None) as batch_op:
        batch_op.drop_column('due_date')

    with op.batch_alter_table('publication_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_link_link_id'))

    op.drop_table('publication_link')
    with op.batch_alter_table('publication_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_file_file_id'))

    op.drop_table('publication_file')
    with op.batch_alter_table('question_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_event_question_id'))

    op.drop_table('question_event')
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_published_at'))

    op.drop_table('publication')
    with op.batch_alter_table('evaluation_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_answer_evaluation_id'))

    op.drop_table('evaluation_answer')
    op.drop_table('project_summary')
    with op.batch_alter_table('project_choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_choice_user_id'))
        batch_op.drop_index(batch_op.f('ix_project_choice_round_id'))
        batch_op.drop_index(batch_op.f('ix_project_choice_project_id'))

    op.drop_table('project_choice')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_user_id'))
        batch_op.drop_index(batch_op.f('ix_placement_round_id'))
        batch_op.drop_index(batch_op.f('ix_placement_project_id'))

    op.drop_table('placement')
    with op.batch_alter_table('peer_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_rating_round_id'))
        batch_op.drop_index(batch_op.f('ix_peer_rating_project_id'))

    op.drop_table('peer_rating')
    with op.batch_alter_table('partner_question', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_question_status_waiting')
        batch_op.drop_index(batch_op.f('ix_partner_question_project_id'))
        batch_op.drop_index(batch_op.f('ix_partner_question_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_partner_question_course_id'))
        batch_op.drop_index(batch_op.f('ix_partner_question_claimed_organisation_id'))

    op.drop_table('partner_question')
    op.drop_table('partner_evaluation')
    with op.batch_alter_table('peer_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_round_course_id'))

    op.drop_table('peer_round')
    with op.batch_alter_table('lti_deployment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_deployment_platform_id'))

    op.drop_table('lti_deployment')
    with op.batch_alter_table('lti_context', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_context_platform_id'))

    op.drop_table('lti_context')
    with op.batch_alter_table('lti_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_account_user_id'))

    op.drop_table('lti_account')
    with op.batch_alter_table('external_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_identity_user_id'))

    op.drop_table('external_identity')
    with op.batch_alter_table('email_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_change_user_id'))

    op.drop_table('email_change')
    op.drop_table('course_join_code')
    with op.batch_alter_table('course_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_enrolment_user_id'))
        batch_op.drop_index(batch_op.f('ix_course_enrolment_course_id'))

    op.drop_table('course_enrolment')
    with op.batch_alter_table('choice_round', schema=None) as batch_op:
        batch_op.drop_index('one_unpublished_round_per_course', sqlite_where=sa.text("state != 'published'"), postgresql_where=sa.text("state != 'published'"))
        batch_op.drop_index(batch_op.f('ix_choice_round_course_id'))

    op.drop_table('choice_round')
    op.drop_table('lti_tool_key')
    op.drop_table('lti_platform')
    with op.batch_alter_table('lti_launch_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_launch_value_expires_at'))

    op.drop_table('lti_launch_value')
